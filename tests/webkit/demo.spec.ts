// A smoke run of the demo in WebKitGTK's MiniBrowser: demo.html drives the
// todo list (todo.html) in a frame, since Playwright cannot drive MiniBrowser.
import { test } from '@playwright/test';
import { webkitRun } from './suite.ts';

const TODO_STEP = 'todo list: a todo added through its form shows, live and again after a reload';
const run = webkitRun('demo', '/tests/webkit/demo.html', [TODO_STEP]);

test(TODO_STEP, () => run.expectPassed(TODO_STEP));
