import { api } from '../api/api.js';
import { Empty, formatDate, Show, useLoad } from '../ui/ui.js';
import { DownloadButton } from '../ui/DownloadButton.js';
import { usePartner } from './partner-context.js';

/** Published releases of the products the partner holds the downloads right on, newest first, with their files. */
export function PartnerDownloads() {
  const view = usePartner();
  const products = view.productsWith('downloads');
  const loaded = useLoad(async () => {
    const releases = (await Promise.all(products.map((p) => api.listReleases({ productId: p.id })))).flat();
    const published = releases.filter((r) => r.status === 'published').sort((a, b) => (b.publishedAt ?? '').localeCompare(a.publishedAt ?? ''));
    const artifacts = await Promise.all(published.map((r) => api.listArtifacts(r.id)));
    return published.map((release, i) => ({ release, artifacts: artifacts[i] ?? [] }));
  }, products.map((p) => p.id).join('|'));

  return (
    <section aria-labelledby="partner-downloads-title">
      <h1 id="partner-downloads-title">Downloads</h1>
      {products.length === 0 ? (
        <Empty>Your partner holds no downloads right on any product.</Empty>
      ) : (
        <Show loaded={loaded}>
          {(releases) =>
            releases.length === 0 ? (
              <Empty>No release is published yet.</Empty>
            ) : (
              releases.map(({ release, artifacts }) => (
                <article key={release.id} className="card release" aria-labelledby={`release-${release.id}`}>
                  <h2 id={`release-${release.id}`}>
                    {products.find((p) => p.id === release.productId)?.name ?? 'Product'} {release.version} <span className="hint">published {formatDate(release.publishedAt)}</span>
                  </h2>
                  {artifacts.length === 0 ? (
                    <Empty>No files for this version yet.</Empty>
                  ) : (
                    <ul className="artifacts" aria-label={`Files of version ${release.version}`}>
                      {artifacts.map((artifact) => (
                        <li key={artifact.id}>
                          <span className="file">
                            <strong>{artifact.fileName}</strong> <span className="hint">{artifact.platform} · {artifact.arch}</span>
                          </span>
                          <DownloadButton artifact={artifact} />
                        </li>
                      ))}
                    </ul>
                  )}
                </article>
              ))
            )
          }
        </Show>
      )}
    </section>
  );
}
