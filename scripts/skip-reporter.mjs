// A node:test reporter that writes one JSON line per skipped test or suite (file, name, reason), so that
// scripts/test.mjs can end the run with a summary of what did not run and, in strict mode, fail it.
export default async function* skipReporter(source) {
  for await (const event of source) {
    if ((event.type === 'test:pass' || event.type === 'test:fail') && event.data.skip !== undefined && event.data.skip !== false) {
      const { file, name, skip, details } = event.data;
      yield `${JSON.stringify({ file: file ?? null, name, reason: typeof skip === 'string' ? skip : '(no reason given)', suite: details?.type === 'suite' })}\n`;
    }
  }
}
