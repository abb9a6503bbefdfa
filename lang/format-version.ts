// Every file rcform writes and every JSON it prints for machines carries `format_version`. Each
// artefact has one constant, in the module that owns its format, and no other code writes the
// value: a bump is one edit, and a reader compares against the constant it writes with.

/** A format's version as its files carry it: a decimal string, as Terraform's JSON formats carry theirs ("1.0"). */
export type FormatVersion = `${number}` | `${number}.${number}`;
