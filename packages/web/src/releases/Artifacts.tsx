import { useRef, useState, type FormEvent } from 'react';
import { consoleApi, type Artifact } from '../api/api.js';
import { Empty, ErrorMessage, messageOf, TableWrap } from '../ui/ui.js';
import { formatBytes, formatDateTime } from '../ui/format.js';
import { DeleteButton } from '../ui/resource.js';

/** A guess at the file type from the name: the part after the first dot (tar.gz, msi, dmg…), lower-cased. */
function fileTypeOf(name: string): string {
  const match = /\.((?:tar\.)?[a-z0-9]+)$/i.exec(name);
  return match ? match[1]!.toLowerCase() : 'bin';
}

/** The release's files with a staff download link each; `onDeleted` (staff who may write) adds a delete button per file. */
export function ArtifactList({ artifacts, onDeleted }: { artifacts: Artifact[]; onDeleted?: (artifact: Artifact) => void }) {
  const [error, setError] = useState<string | null>(null);
  async function download(artifact: Artifact) {
    setError(null);
    try {
      const link = await consoleApi.downloadLink(artifact.id);
      // A signed, short-lived link that answers with Content-Disposition: attachment, so the page stays.
      const anchor = document.createElement('a');
      anchor.href = link.url;
      anchor.download = artifact.fileName;
      document.body.append(anchor);
      anchor.click();
      anchor.remove();
    } catch (caught) {
      setError(messageOf(caught));
    }
  }
  if (artifacts.length === 0) return <Empty>No files uploaded yet.</Empty>;
  return (
    <>
      <TableWrap label="Artifacts">
        <table>
          <caption className="visually-hidden">Artifacts</caption>
          <thead>
            <tr>
              <th scope="col">File</th>
              <th scope="col">Platform</th>
              <th scope="col">Type</th>
              <th scope="col">Size</th>
              <th scope="col">SHA-256</th>
              <th scope="col">Uploaded</th>
              <th scope="col">
                <span className="visually-hidden">Download</span>
              </th>
              {onDeleted ? (
                <th scope="col">
                  <span className="visually-hidden">Delete</span>
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {artifacts.map((artifact) => (
              <tr key={artifact.id}>
                <td>{artifact.fileName}</td>
                <td>
                  {artifact.platform} / {artifact.arch}
                </td>
                <td>{artifact.fileType}</td>
                <td>{formatBytes(artifact.size)}</td>
                <td>
                  <code className="sha">{artifact.sha256}</code>
                </td>
                <td>{formatDateTime(artifact.createdAt)}</td>
                <td>
                  {artifact.status === 'removed' ? (
                    <span className="hint" title={artifact.removedReason ?? undefined}>
                      removed
                    </span>
                  ) : (
                    <button type="button" aria-label={`Download ${artifact.fileName}`} onClick={() => void download(artifact)}>
                      Download
                    </button>
                  )}
                </td>
                {onDeleted ? (
                  <td>
                    <DeleteButton
                      what={artifact.fileName}
                      label={`Delete ${artifact.fileName}`}
                      consequence="The file is removed from storage; customers can no longer download it (its download record stays)."
                      onDelete={() => consoleApi.deleteArtifact(artifact.id)}
                      onDeleted={() => onDeleted(artifact)}
                    />
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
      {error ? <ErrorMessage message={error} /> : null}
    </>
  );
}

/** Uploads one file with a progress bar (XMLHttpRequest upload events); then shows its size and SHA-256. */
export function ArtifactUpload({ releaseId, onUploaded }: { releaseId: string; onUploaded(artifact: Artifact): void }) {
  const fileInput = useRef<HTMLInputElement>(null);
  const [fileName, setFileName] = useState('');
  const [fileType, setFileType] = useState('');
  const [progress, setProgress] = useState<number | null>(null);
  const [uploaded, setUploaded] = useState<Artifact | null>(null);
  const [error, setError] = useState<string | null>(null);

  function choose(file: File | undefined) {
    setUploaded(null);
    setError(null);
    setProgress(null);
    setFileName(file?.name ?? '');
    setFileType(file ? fileTypeOf(file.name) : '');
  }

  async function upload(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const file = fileInput.current?.files?.[0];
    if (!file) return;
    const form = new FormData(event.currentTarget);
    setError(null);
    setUploaded(null);
    setProgress(0);
    try {
      const artifact = await consoleApi.uploadArtifact(
        releaseId,
        { platform: String(form.get('platform')).trim(), arch: String(form.get('arch')).trim(), fileType: fileType.trim(), fileName: fileName.trim() },
        file,
        setProgress,
      );
      setUploaded(artifact);
      onUploaded(artifact);
    } catch (caught) {
      setError(messageOf(caught));
      setProgress(null);
    }
  }

  const uploading = progress !== null && uploaded === null && error === null;
  const percent = progress === null ? 0 : Math.round(progress * 100);
  return (
    <form className="stack-form card" onSubmit={upload} aria-label="Upload a file">
      <h3 className="form-title">Upload a file</h3>
      <label>
        File
        <input ref={fileInput} name="file" type="file" required onChange={(event) => choose(event.target.files?.[0])} />
      </label>
      <div className="row">
        <label>
          Platform
          <input name="platform" required defaultValue="any" pattern="[a-z0-9][a-z0-9_.\-]*" maxLength={32} title="lower-case letters, digits, . _ -" />
        </label>
        <label>
          Architecture
          <input name="arch" required defaultValue="any" pattern="[a-z0-9][a-z0-9_.\-]*" maxLength={32} title="lower-case letters, digits, . _ -" />
        </label>
        <label>
          File type
          <input name="fileType" required value={fileType} onChange={(event) => setFileType(event.target.value)} pattern="[a-z0-9][a-z0-9_.\-]*" maxLength={32} />
        </label>
        <label>
          Download name
          <input name="fileName" required value={fileName} onChange={(event) => setFileName(event.target.value)} maxLength={255} />
        </label>
      </div>
      <div>
        <button type="submit" className="primary" disabled={uploading}>
          Upload
        </button>
      </div>
      {progress !== null ? (
        <div className="progress">
          <progress max={100} value={percent} aria-label="Upload progress" data-testid="upload-progress" />
          <span role="status" aria-live="polite">
            {uploaded ? 'Upload complete' : error ? 'Upload failed' : `${percent}%`}
          </span>
        </div>
      ) : null}
      {uploaded ? (
        <p className="notice" data-testid="upload-result">
          {uploaded.fileName}: {formatBytes(uploaded.size)}, SHA-256 <code className="sha">{uploaded.sha256}</code>
        </p>
      ) : null}
      {error ? <ErrorMessage message={error} /> : null}
    </form>
  );
}
