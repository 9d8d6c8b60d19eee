/** Every case of the event-sourcing kit, registered in `kitCases` by importing its file. */
import './live-cases.ts';
import './typed-cases.ts';
import './cursor-cases.ts';
import './retention-cases.ts';
import './compaction-cases.ts';
import './bad-input-cases.ts';

export { kitCases } from './registry.ts';
