#!/usr/bin/env node
// `node scripts/unzip.mjs [--check]`: makes sure Info-ZIP's `unzip` is there
// for the browser tier, which lists the archives the demo downloads with
// `unzip -l` (tests/browser/archive.spec.ts). Where it is missing and apt-get
// is usable (root, or passwordless sudo) it installs Debian's `unzip`.
// Otherwise it only warns: the tests then read the archives with a zip
// library in Node instead. `--check` prints nothing when all is well.
import { aptInstall, onPath } from './apt.mjs';

const check = process.argv.includes('--check');

const hasUnzip = () => onPath('unzip') !== null;

if (!hasUnzip()) {
  aptInstall('unzip');
  if (!hasUnzip()) {
    console.error(
      'unzip not found (install it, e.g. `sudo apt-get install -y unzip`); the archive tests will check archives with a zip library instead.',
    );
  }
}
if (!check && hasUnzip()) console.log(onPath('unzip'));
