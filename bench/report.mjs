// Builds one suite's report twice: as text for the terminal and as a markdown section of
// bench/results/latest.md. A suite adds its table, the paragraphs explaining its setup (markdown only)
// and one block per pass (dialect) with its PASS/FAIL checks and notes. The report remembers whether a
// gated pass (SQLite, or the SDK) missed a target, which is what `--check` acts on.
import { mdTable, table } from './harness.mjs';

export class Report {
  /** `title`: the section heading, e.g. "activateMachine benchmark — <date>". */
  constructor(title) {
    this.out = [];
    this.md = [`## ${title}`, ''];
    this.failed = false;
    this.informationalFailed = false;
  }

  table(rows) {
    this.out.push('', table(rows), '');
    this.md.push(mdTable(rows), '');
  }

  /** Explanations of the setup and the targets: markdown only (the terminal has the log above). */
  paragraph(text) {
    this.md.push(text, '');
  }

  /** A skipped pass (PostgreSQL not reachable). */
  skipped(name, reason) {
    this.out.push(`${name}: SKIPPED (${reason})`);
    this.md.push(`- **${name}**: skipped (${reason})`, '');
  }

  /**
   * One pass: a heading with the overall verdict, its checks ({ name, value, pass }) and free notes.
   * `informational` passes say so in the heading (their misses do not fail `--check`).
   */
  pass(name, checks, notes = [], { informational = false } = {}) {
    const all = checks.every((c) => c.pass);
    if (!all && informational) this.informationalFailed = true;
    else if (!all) this.failed = true;
    const head = `${name}${informational ? ' — informational' : ''}: ${all ? 'PASS' : 'FAIL'}`;
    this.out.push(head);
    this.md.push(`### ${head}`, '');
    for (const c of checks) {
      this.out.push(`  ${c.pass ? 'PASS' : 'FAIL'}  ${c.name}: ${c.value}`);
      this.md.push(`- ${c.pass ? 'PASS' : 'FAIL'} — ${c.name}: ${c.value}`);
    }
    for (const note of notes) {
      this.out.push(`  ${note}`);
      this.md.push(note.startsWith('WARNING') ? `- **${note}**` : `- ${note}`);
    }
    this.out.push('');
    this.md.push('');
  }

  /** A closing remark under the passes. */
  footer(text) {
    this.md.push(text, '');
  }

  /** { text, markdown, failed: a gated target was missed, informationalFailed: an informational one was }. */
  render() {
    return { text: this.out.join('\n'), markdown: this.md.join('\n'), failed: this.failed, informationalFailed: this.informationalFailed };
  }
}
