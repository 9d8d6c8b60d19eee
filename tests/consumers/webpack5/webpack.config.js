// webpack's TypeScript guide (https://webpack.js.org/guides/typescript/), as it says,
// and nothing for opfs-log: webpack finds its worker through
// `new Worker(new URL('./worker.js', import.meta.url))` and emits it as a chunk.
// (The guide writes this file as webpack.config.ts; here it is the same config as
// plain JavaScript, so Node 20 loads it without ts-node or type stripping.)
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const __filename = fileURLToPath(import.meta.url);
const __dirname = path.dirname(__filename);

const config = {
  entry: './src/index.ts',
  module: {
    rules: [
      {
        test: /\.tsx?$/,
        use: 'ts-loader',
        exclude: /node_modules/,
      },
    ],
  },
  resolve: {
    extensions: ['.tsx', '.ts', '.js'],
  },
  output: {
    filename: 'bundle.js',
    path: path.resolve(__dirname, 'dist'),
  },
};

export default config;
