import MarkdownIt from 'markdown-it';

/**
 * Release notes are Markdown written by staff and shown to customers (a line break is kept as one,
 * as release notes are usually written), so they are rendered safely:
 * raw HTML in the source is escaped (never passed through), links and images keep only http(s),
 * mailto and relative targets (markdown-it's link validation already drops javascript:, vbscript:,
 * file: and data: other than images; this is narrower still), and links open without an opener.
 */
const md = new MarkdownIt({ html: false, linkify: true, typographer: false, breaks: true });

/** http(s) and mailto URLs, and references without a scheme (relative paths, anchors). */
md.validateLink = (url: string): boolean => {
  const target = url.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(target);
  return scheme === null || ['http', 'https', 'mailto'].includes(scheme[1]!.toLowerCase());
};

const defaultLinkOpen = md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  const token = tokens[idx]!;
  token.attrSet('rel', 'noopener noreferrer nofollow');
  return defaultLinkOpen(tokens, idx, options, env, self);
};

const cache = new Map<string, string>();
const CACHE_LIMIT = 500;

/** Markdown → HTML safe to put into a page. Renders are memoized (release notes are read far more than written). */
export function renderMarkdown(source: string): string {
  const hit = cache.get(source);
  if (hit !== undefined) return hit;
  const html = md.render(source);
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(source, html);
  return html;
}
