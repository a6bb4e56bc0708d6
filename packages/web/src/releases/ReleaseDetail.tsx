import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { api, ApiError, consoleApi, type Announcement, type Artifact, type Release } from '../api/api.js';
import { can, useSession } from '../session.js';
import { ErrorMessage, formatDate, messageOf, NotFoundPage, Show, useAction, useLoad } from '../ui/ui.js';
import { ArtifactList, ArtifactUpload } from './Artifacts.js';
import { formatDateTime } from '../ui/format.js';
import { PublishPanel } from './PublishPanel.js';
import { DeleteButton } from '../ui/resource.js';
import { ReleaseBadge, ReleaseFields, releaseInput } from './Releases.js';

export function ReleaseDetail() {
  const { id = '' } = useParams();
  const { me } = useSession();
  const navigate = useNavigate();
  const mayWrite = can(me, 'releases:write');
  const loaded = useLoad(async () => {
    const release = await consoleApi.getRelease(id);
    const [product, artifacts] = await Promise.all([api.getProduct(release.productId), consoleApi.listArtifacts(id)]);
    return { release, product, artifacts };
  }, id);
  const { busy, error, setError, notice, setNotice, run } = useAction(() => loaded.reload());
  const [editing, setEditing] = useState(false);

  if (loaded.error instanceof ApiError && loaded.error.status === 404) return <NotFoundPage what="release" back="/console/releases" />;

  function yank(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const reason = String(new FormData(event.currentTarget).get('reason') ?? '').trim();
    void run(async () => {
      await consoleApi.yankRelease(id, reason || undefined);
      return 'Yanked: update checks offer the previous release again.';
    });
  }

  function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const version = String(form.get('version') ?? '').trim();
    void run(async () => {
      await consoleApi.updateRelease(id, { ...releaseInput(form), ...(version ? { version } : {}) });
      setEditing(false);
      return 'Saved.';
    });
  }

  function published(release: Release, announcement?: Announcement) {
    setNotice(
      announcement
        ? `Published ${release.version} and announced it to ${announcement.recipients} address${announcement.recipients === 1 ? '' : 'es'}${announcement.skippedOptedOut ? ` (${announcement.skippedOptedOut} opted out)` : ''}.`
        : `Published ${release.version}.`,
    );
    setError(null);
    loaded.reload();
  }

  return (
    <Show loaded={loaded}>
      {({ release, product, artifacts }) => (
        <section aria-labelledby="release-title">
          <p>
            <Link to={`/console/releases?productId=${product.id}`}>← Releases</Link>
          </p>
          <h1 id="release-title">
            {product.name} {release.version} <ReleaseBadge status={release.status} />
          </h1>
          <dl className="facts">
            <dt>Status</dt>
            <dd data-testid="release-status">{release.status}</dd>
            <dt>Channel</dt>
            <dd>{release.channel}</dd>
            <dt>Required features</dt>
            <dd>{release.requirements.length ? release.requirements.join(', ') : 'none'}</dd>
            <dt>Created</dt>
            <dd>{formatDateTime(release.createdAt)}</dd>
            <dt>Published</dt>
            <dd>{formatDateTime(release.publishedAt)}</dd>
            {release.yankedAt ? (
              <>
                <dt>Yanked</dt>
                <dd>
                  {formatDate(release.yankedAt)}
                  {release.yankReason ? `: ${release.yankReason}` : ''}
                </dd>
              </>
            ) : null}
            {release.videoUrl ? (
              <>
                <dt>Video</dt>
                <dd>
                  <a href={release.videoUrl} target="_blank" rel="noreferrer noopener">
                    {release.videoUrl}
                  </a>
                </dd>
              </>
            ) : null}
            {release.docLinks.length ? (
              <>
                <dt>Documentation</dt>
                <dd>
                  <ul className="plain">
                    {release.docLinks.map((link) => (
                      <li key={link.url + link.title}>
                        <a href={link.url} target="_blank" rel="noreferrer noopener">
                          {link.title}
                        </a>
                      </li>
                    ))}
                  </ul>
                </dd>
              </>
            ) : null}
          </dl>
          {notice ? (
            <p className="notice" role="status">
              {notice}
            </p>
          ) : null}
          {error ? <ErrorMessage message={error} /> : null}
          {mayWrite ? (
            <div className="actions" role="group" aria-label="Release actions">
              {release.status === 'yanked' ? (
                <button type="button" disabled={busy} onClick={() => void run(async () => (await consoleApi.unyankRelease(id), 'Offered again.'))}>
                  Unyank
                </button>
              ) : null}
              <button type="button" aria-expanded={editing} onClick={() => setEditing((open) => !open)}>
                {editing ? 'Close editor' : 'Edit notes and links'}
              </button>
              {/* Only drafts can be deleted: a published or yanked release may have been downloaded (yank it, or delete its files). */}
              {release.status === 'draft' ? (
                <DeleteButton
                  what={`draft ${release.version}`}
                  label={`Delete draft ${release.version}`}
                  consequence={`The draft and its ${artifacts.length} file${artifacts.length === 1 ? '' : 's'} are deleted.`}
                  onDelete={() => consoleApi.deleteRelease(release.id)}
                  onDeleted={() => navigate('/console/releases', { state: { notice: `Draft ${release.version} deleted.` } })}
                />
              ) : null}
            </div>
          ) : null}
          {mayWrite && editing ? (
            <form className="stack-form card" onSubmit={save} aria-label="Edit release">
              {release.status === 'draft' ? (
                <label>
                  Version
                  <input name="version" required maxLength={128} defaultValue={release.version} />
                </label>
              ) : null}
              <label>
                Channel
                <select name="channel" defaultValue={release.channel}>
                  {['stable', 'rc', 'beta', 'alpha', 'dev'].map((channel) => (
                    <option key={channel}>{channel}</option>
                  ))}
                </select>
              </label>
              <ReleaseFields release={release} />
              <div>
                <button type="submit" className="primary" disabled={busy}>
                  Save
                </button>
              </div>
            </form>
          ) : null}
          {mayWrite && release.status === 'draft' ? <PublishPanel release={release} onPublished={published} /> : null}
          {mayWrite && release.status === 'published' ? (
            <form className="inline-form compact" onSubmit={yank} aria-label="Yank release">
              <label>
                Reason <span className="hint">(optional)</span>
                <input name="reason" maxLength={500} />
              </label>
              <button type="submit" className="danger" disabled={busy}>
                Yank
              </button>
            </form>
          ) : null}
          <h2>Release notes</h2>
          {release.notesHtml.trim() ? (
            // notesHtml is rendered from Markdown and sanitized by the server (raw HTML escaped, safe links only).
            <div className="notes" data-testid="release-notes" dangerouslySetInnerHTML={{ __html: release.notesHtml }} />
          ) : (
            <p className="empty">No release notes.</p>
          )}
          <h2>Files</h2>
          <ArtifactList artifacts={artifacts} {...(mayWrite ? { onDeleted: (artifact: Artifact) => (setNotice(`${artifact.fileName} deleted.`), loaded.reload()) } : {})} />
          {mayWrite ? <ArtifactUpload releaseId={release.id} onUploaded={() => loaded.reload()} /> : null}
        </section>
      )}
    </Show>
  );
}
