/** fflate's inflater alone: zip.ts loads it on demand (fflate builds its tables as it loads). */
export { Inflate } from 'fflate';
