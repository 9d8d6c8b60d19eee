/**
 * The contract suite: every edge case of the public API (src/types.ts) as one
 * named case, registered in `contractCases` by importing its file. The cases
 * live in the `*-cases.ts` files beside this one, by concern; a new case goes
 * into the file of its method (fixtures in `./helpers.ts`, messages from
 * `./gen.ts`). See `./registry.ts` for what a case is.
 */
import './open-cases.ts';
import './publish-cases.ts';
import './consume-cases.ts';
import './keys-cases.ts';
import './get-cases.ts';
import './times-cases.ts';
import './delete-cases.ts';
import './stat-size-cases.ts';
import './reopen-close-cases.ts';
import './readonly-lock-cases.ts';
import './backup-cases.ts';

export { contractCases, type ContractCase, type ContractContext } from './registry.ts';
