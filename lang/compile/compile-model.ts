import { hasErrors, type Diagnostic } from '../diagnostic.js';
import { checkModel } from '../config/check.js';
import type { Model } from '../config/model.js';
import { compileChecked } from './compile.js';
import type { CompiledDb } from './compiled-db.js';

// A decoded model → compiled database: check, compile. The database is produced only when
// there is no error, so a caller can never act on a half-checked configuration; warnings do not
// stop it.

export interface CompileModelResult {
  db?: CompiledDb;
  /** The bytes of the database's file (canonical JSON), in pieces to write one after another; with db. */
  chunks?: string[];
  diagnostics: Diagnostic[];
  model: Model;
}

/** A decoded model and the decoder's diagnostics → check, compile. */
export function compileModel(model: Model, diagnostics: readonly Diagnostic[]): CompileModelResult {
  const { checked, diagnostics: checkDiags } = checkModel(model);
  const all = [...diagnostics, ...checkDiags];
  if (hasErrors(all)) return { diagnostics: all, model };
  return { ...compileChecked(checked), diagnostics: all, model };
}
