import type { File } from '../hcl/ast.js';
import { hasErrors, type Diagnostic } from '../diagnostic.js';
import { checkModel } from '../config/check.js';
import { decodeFiles, type DecodeOptions } from '../config/decode.js';
import type { Model } from '../config/model.js';
import { compileChecked } from './compile.js';
import type { CompiledDb } from './compiled-db.js';

// Parsed files → compiled database: decode, check, compile. The database is produced only when
// there is no error, so a caller can never act on a half-checked configuration; warnings do not
// stop it.

export interface CompileFilesResult {
  db?: CompiledDb;
  diagnostics: Diagnostic[];
  model: Model;
}

export function compileFiles(files: readonly File[], opts: DecodeOptions = {}): CompileFilesResult {
  const { model, diagnostics } = decodeFiles(files, opts);
  const { checked, diagnostics: checkDiags } = checkModel(model);
  const all = [...diagnostics, ...checkDiags];
  if (hasErrors(all)) return { diagnostics: all, model };
  return { db: compileChecked(checked), diagnostics: all, model };
}
