import { flagBool, write, type Command } from '../command.js';
import { platform, rcformVersion } from '../version.js';

// `rcform version`, as `terraform version`: the same line as -version, and with --json the shape
// of `terraform version -json` (a version field and the platform) for scripts that check it.

export const versionCommand: Command = {
  name: 'version',
  readOnly: true,
  summary: 'Print the version of rcform and the platform it runs on',
  description: '--json prints {"rcform_version", "platform", "node_version"}, in the manner of "terraform version -json".',
  args: [],
  flags: [{ name: 'json', type: 'boolean', description: 'Print the version as JSON' }],
  async run(ctx) {
    if (flagBool(ctx, 'json')) {
      write(ctx.io.stdout, JSON.stringify({ rcform_version: rcformVersion(), platform: platform(), node_version: process.version }, null, 2));
    } else {
      write(ctx.io.stdout, `rcform v${rcformVersion()}\non ${platform()}`);
    }
    return 0;
  },
};
