// Operations say what they did through the caller's log (the CLI's RCFORM_LOG, a test's array),
// never by writing to a stream of their own: an operation may run where there is no terminal.

export type OperationLog = (level: 'debug' | 'info', message: string) => void;
