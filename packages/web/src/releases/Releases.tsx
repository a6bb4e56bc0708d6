import { useState, type FormEvent } from 'react';
import { Link, useLocation, useNavigate, useSearchParams } from 'react-router-dom';
import { api, CHANNELS, consoleApi, type Channel, type Release, type ReleaseInput } from '../api/api.js';
import { can, useSession } from '../session.js';
import { Empty, ErrorMessage, formatDate, LimitedTextArea, messageOf, PagedTable, Show, useLoad, usePagedList } from '../ui/ui.js';

const FILTERS = ['productId', 'channel', 'status'] as const;
const STATUSES = ['draft', 'published', 'yanked'] as const;

export function ReleaseBadge({ status }: { status: Release['status'] }) {
  return <span className={`badge badge-${status}`}>{status}</span>;
}

/** "Title | https://…" per line → doc links; a line without a title uses the URL as its title. */
export function parseDocLinks(text: string): { title: string; url: string }[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const bar = line.lastIndexOf('|');
      if (bar === -1) return { title: line, url: line };
      return { title: line.slice(0, bar).trim() || line.slice(bar + 1).trim(), url: line.slice(bar + 1).trim() };
    });
}

/** The fields a release form shares between create and edit. */
export function releaseInput(form: FormData): ReleaseInput {
  const videoUrl = String(form.get('videoUrl') ?? '').trim();
  return {
    channel: String(form.get('channel')) as Channel,
    notes: String(form.get('notes') ?? ''),
    docLinks: parseDocLinks(String(form.get('docLinks') ?? '')),
    videoUrl: videoUrl || null,
    requirements: String(form.get('requirements') ?? '')
      .split(',')
      .map((feature) => feature.trim())
      .filter(Boolean),
  };
}

export function Releases() {
  /** Set by the release page after deleting a draft. */
  const deleted = (useLocation().state as { notice?: string } | null)?.notice;
  const navigate = useNavigate();
  const { me } = useSession();
  const [params, setParams] = useSearchParams();
  const filter = Object.fromEntries(FILTERS.map((name) => [name, params.get(name) ?? ''])) as Record<(typeof FILTERS)[number], string>;
  const products = useLoad(() => api.listProducts(), 'products');
  const key = FILTERS.map((name) => filter[name]).join('|');
  const query = {
    productId: filter.productId || undefined,
    channel: (filter.channel || undefined) as Channel | undefined,
    status: (filter.status || undefined) as Release['status'] | undefined,
  };
  const list = usePagedList((cursor) => consoleApi.listReleases({ ...query, cursor }), key);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  function setFilter(name: (typeof FILTERS)[number], value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next);
  }

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      const release = await consoleApi.createRelease({ productId: String(form.get('productId')), version: String(form.get('version')).trim(), ...releaseInput(form) });
      navigate(`/console/releases/${release.id}`);
    } catch (caught) {
      setError(messageOf(caught));
      setBusy(false);
    }
  }

  const productName = (id: string) => products.data?.find((product) => product.id === id)?.name ?? id;

  return (
    <section aria-labelledby="releases-title">
      <h1 id="releases-title">Releases</h1>
      {deleted ? (
        <p className="notice" role="status">
          {deleted}
        </p>
      ) : null}
      <Show loaded={products}>
        {(list) => (
          <>
            {can(me, 'releases:write') ? (
              <details className="card">
                <summary>New release</summary>
                {list.length === 0 ? (
                  <Empty>
                    Create a <Link to="/console/products">product</Link> first.
                  </Empty>
                ) : (
                  <form className="stack-form" onSubmit={create} aria-label="New release">
                    <div className="row">
                      <label>
                        Product
                        <select name="productId" required defaultValue={filter.productId}>
                          <option value="" disabled>
                            Choose a product
                          </option>
                          {list.map((product) => (
                            <option key={product.id} value={product.id}>
                              {product.name}
                            </option>
                          ))}
                        </select>
                      </label>
                      <label>
                        Version <span className="hint">(semver, e.g. 1.4.0)</span>
                        <input name="version" required maxLength={128} pattern="\S+" autoComplete="off" />
                      </label>
                      <label>
                        Channel
                        <select name="channel" defaultValue="stable">
                          {CHANNELS.map((channel) => (
                            <option key={channel}>{channel}</option>
                          ))}
                        </select>
                      </label>
                    </div>
                    <ReleaseFields />
                    {error ? <ErrorMessage message={error} /> : null}
                    <div>
                      <button type="submit" className="primary" disabled={busy}>
                        Create release
                      </button>
                    </div>
                  </form>
                )}
              </details>
            ) : null}
            <fieldset className="filters">
              <legend>Filter</legend>
              <label>
                Product
                <select value={filter.productId} onChange={(event) => setFilter('productId', event.target.value)}>
                  <option value="">any</option>
                  {list.map((product) => (
                    <option key={product.id} value={product.id}>
                      {product.name}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                Channel <span className="hint">(and more stable)</span>
                <select value={filter.channel} onChange={(event) => setFilter('channel', event.target.value)}>
                  <option value="">any</option>
                  {CHANNELS.map((channel) => (
                    <option key={channel}>{channel}</option>
                  ))}
                </select>
              </label>
              <label>
                Status
                <select value={filter.status} onChange={(event) => setFilter('status', event.target.value)}>
                  <option value="">any</option>
                  {STATUSES.map((status) => (
                    <option key={status}>{status}</option>
                  ))}
                </select>
              </label>
            </fieldset>
          </>
        )}
      </Show>
      <PagedTable
        list={list}
        label="Releases"
        empty="No releases match."
        columns={['Version', 'Product', 'Channel', 'Status', 'Published']}
        row={(release) => (
          <tr key={release.id}>
            <td>
              <Link to={`/console/releases/${release.id}`}>{release.version}</Link>
            </td>
            <td>{productName(release.productId)}</td>
            <td>{release.channel}</td>
            <td>
              <ReleaseBadge status={release.status} />
            </td>
            <td>{formatDate(release.publishedAt)}</td>
          </tr>
        )}
      />
    </section>
  );
}

/** Notes, doc links, video and requirements: the editable part of a release form. */
export function ReleaseFields({ release }: { release?: Release }) {
  return (
    <>
      <LimitedTextArea
        label={
          <>
            Release notes <span className="hint">(Markdown)</span>
          </>
        }
        name="notes"
        limit={100_000}
        defaultValue={release?.notes ?? ''}
      />
      <label>
        Documentation links <span className="hint">(one per line: Title | https://…)</span>
        <textarea name="docLinks" rows={3} className="short" defaultValue={release?.docLinks.map((link) => `${link.title} | ${link.url}`).join('\n') ?? ''} />
      </label>
      <div className="row">
        <label>
          Video URL <span className="hint">(optional)</span>
          <input name="videoUrl" type="url" maxLength={2000} defaultValue={release?.videoUrl ?? ''} />
        </label>
        <label>
          Required features <span className="hint">(comma-separated)</span>
          <input name="requirements" maxLength={2000} defaultValue={release?.requirements.join(', ') ?? ''} />
        </label>
      </div>
    </>
  );
}
