import { api, ApiError, type Artifact, type Product, type Release } from '../api/api.js';
import { Empty, formatDate, messageOf, Show, useLoad } from '../ui/ui.js';
import { formatSize } from './portal-ui.js';
import { DownloadButton } from '../ui/DownloadButton.js';

/** What to tell a customer whose download was refused; the API's own message otherwise. */
function downloadError(error: unknown): string {
  if (error instanceof ApiError && error.code === 'NOT_ENTITLED') {
    return `Your organization's licenses do not include this download (${error.message.replace(/\.$/, '')}). Contact your vendor to extend your license.`;
  }
  if (error instanceof ApiError && error.code === 'ARTIFACT_REMOVED') return 'This file is no longer kept; download a newer version.';
  return messageOf(error);
}

function ArtifactRow({ artifact }: { artifact: Artifact }) {
  return (
    <li>
      <span className="file">
        <strong>{artifact.fileName}</strong>
        <span className="hint">
          {' '}
          {artifact.platform} · {artifact.arch} · {formatSize(artifact.size)}
        </span>
        <br />
        <span className="hint">
          SHA-256 <code>{artifact.sha256}</code>
        </span>
      </span>
      <DownloadButton artifact={artifact} describe={downloadError} />
    </li>
  );
}

function ReleaseCard({ release, artifacts, current }: { release: Release; artifacts: Artifact[]; current: boolean }) {
  return (
    <article className="release" aria-labelledby={`release-${release.id}`}>
      <h3 id={`release-${release.id}`}>
        Version {release.version}
        {current ? <span className="badge badge-active">current</span> : null}
        {release.channel !== 'stable' ? <span className="badge badge-pending">{release.channel}</span> : null}
        <span className="hint">published {formatDate(release.publishedAt)}</span>
      </h3>
      {release.notesHtml ? (
        // notesHtml is rendered and sanitized by the server (raw HTML escaped, only safe links): the one field shown as HTML.
        <div className="notes" dangerouslySetInnerHTML={{ __html: release.notesHtml }} />
      ) : (
        <Empty>No release notes.</Empty>
      )}
      {release.docLinks.length > 0 || release.videoUrl ? (
        <ul aria-label="Documentation">
          {release.docLinks.map((link) => (
            <li key={link.url}>
              <a href={link.url} target="_blank" rel="noopener noreferrer">
                {link.title}
              </a>
            </li>
          ))}
          {release.videoUrl ? (
            <li>
              <a href={release.videoUrl} target="_blank" rel="noopener noreferrer">
                Video: what is new in {release.version}
              </a>
            </li>
          ) : null}
        </ul>
      ) : null}
      {artifacts.length === 0 ? (
        <Empty>No files for this version yet.</Empty>
      ) : (
        <ul className="artifacts" aria-label={`Files of version ${release.version}`}>
          {artifacts.map((artifact) => (
            <ArtifactRow key={artifact.id} artifact={artifact} />
          ))}
        </ul>
      )}
    </article>
  );
}

const newestFirst = (a: Release, b: Release) => (b.publishedAt ?? '').localeCompare(a.publishedAt ?? '');

/** The published releases of the organization's products, newest first, with their files. */
export function PortalDownloads() {
  const loaded = useLoad(async () => {
    const [releases, products] = await Promise.all([api.listReleases(), api.listProducts().catch((): Product[] => [])]);
    const published = releases.filter((r) => r.status === 'published').sort(newestFirst);
    const artifacts = await Promise.all(published.map((r) => api.listArtifacts(r.id)));
    return { releases: published, artifacts: new Map(published.map((r, i) => [r.id, artifacts[i] ?? []])), products };
  }, 'portal-downloads');

  return (
    <section aria-labelledby="downloads-title">
      <h1 id="downloads-title">Downloads</h1>
      <Show loaded={loaded}>
        {({ releases, artifacts, products }) => {
          if (releases.length === 0) return <Empty>No release of your organization's products is published yet.</Empty>;
          const productIds = [...new Set(releases.map((r) => r.productId))];
          return productIds.map((productId) => {
            const product = products.find((p) => p.id === productId);
            const [current, ...previous] = releases.filter((r) => r.productId === productId);
            if (!current) return null;
            return (
              <section key={productId} aria-labelledby={`product-${productId}`}>
                <h2 id={`product-${productId}`}>{product?.name ?? 'Product'}</h2>
                <ReleaseCard release={current} artifacts={artifacts.get(current.id) ?? []} current />
                {previous.length > 0 ? (
                  <details className="card">
                    <summary>
                      Previous versions ({previous.length})
                    </summary>
                    {previous.map((release) => (
                      <ReleaseCard key={release.id} release={release} artifacts={artifacts.get(release.id) ?? []} current={false} />
                    ))}
                  </details>
                ) : null}
              </section>
            );
          });
        }}
      </Show>
    </section>
  );
}
