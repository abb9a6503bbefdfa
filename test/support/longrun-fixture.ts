import type { CompiledLongrun } from '../../lang/compile/compiled-db.js';
import { buildDb } from './compiled-fixture.js';

/** One compiled longrun with the fixture's defaults, as the engines receive it. */
export function longrun(name: string, spec: Partial<Omit<CompiledLongrun, 'type' | 'name'>> = {}): CompiledLongrun {
  return buildDb({ [name]: { type: 'longrun', ...spec } }).services[name] as CompiledLongrun;
}
