import { useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { ApiError } from '../api/api.js';
import { can, useSession } from '../session.js';
import { Empty, ErrorMessage, messageOf, PagedTable, Show, TableWrap, useLoad, usePagedList } from '../ui/ui.js';
import { formatDateTime } from '../ui/format.js';
import { JOB_STATUSES, opsApi, type Job, type JobStatus } from '../api/ops.js';

/** The 403 of a role without jobs:read, said plainly (with the API's own reason). */
function NoAccess({ error }: { error: ApiError }) {
  return (
    <div className="banner" role="alert">
      <p>
        <strong>No access.</strong> Background jobs are for owners, admins and support.
      </p>
      <p className="hint">{messageOf(error)}</p>
    </div>
  );
}

export function Jobs() {
  const { me } = useSession();
  const mayRetry = can(me, 'jobs:write');
  const [params, setParams] = useSearchParams();
  // Failed jobs are what needs attention: they are shown unless another status is chosen.
  const status = params.get('status') ?? 'failed';
  const type = params.get('type') ?? '';
  const list = usePagedList(
    (cursor) => opsApi.listJobs({ status: status === 'any' ? undefined : (status as JobStatus), type: type || undefined }, cursor),
    `${status}|${type}`,
  );
  const schedules = useLoad(() => opsApi.listSchedules(), 'schedules');
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  function setFilter(name: 'status' | 'type', value: string) {
    const next = new URLSearchParams(params);
    next.set(name, value);
    if (name === 'type' && !value) next.delete(name);
    setParams(next);
  }

  async function retry(job: Job) {
    setBusy(job.id);
    setError(null);
    setNotice(null);
    try {
      const queued = await opsApi.retryJob(job.id);
      setNotice(`${queued.type} (${queued.id}) is queued again with a fresh set of ${queued.maxAttempts} attempts.`);
      list.first.reload();
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(null);
    }
  }

  if (list.first.error instanceof ApiError && list.first.error.status === 403) {
    return (
      <section aria-labelledby="jobs-title">
        <h1 id="jobs-title">Jobs</h1>
        <NoAccess error={list.first.error} />
      </section>
    );
  }

  return (
    <section aria-labelledby="jobs-title">
      <h1 id="jobs-title">Jobs</h1>
      <p className="hint">Background work: e-mail, webhook deliveries, reminders, renewals and housekeeping. A job that failed all its attempts waits here to be retried.</p>
      <fieldset className="filters">
        <legend>Filter</legend>
        <label>
          Status
          <select value={status} onChange={(event) => setFilter('status', event.target.value)}>
            {JOB_STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
            <option value="any">any</option>
          </select>
        </label>
        <label>
          Job type
          <input
            type="search"
            defaultValue={type}
            placeholder="e.g. mail.send"
            onKeyDown={(event) => event.key === 'Enter' && setFilter('type', event.currentTarget.value.trim())}
            onBlur={(event) => setFilter('type', event.currentTarget.value.trim())}
          />
        </label>
      </fieldset>
      {notice ? (
        <p className="success" role="status">
          {notice}
        </p>
      ) : null}
      {error ? <ErrorMessage message={error} /> : null}
      <PagedTable
        list={list}
        label="Jobs"
        empty={status === 'failed' ? 'No failed jobs: nothing needs attention.' : 'No jobs match.'}
        columns={['Job', 'Status', 'Attempts', 'Last error', 'Run at', <span className="visually-hidden">Actions</span>]}
        row={(job) => (
          <tr key={job.id} data-testid={`job-${job.id}`}>
            <td>
              {job.type}
              <br />
              <span className="hint">{job.id}</span>
            </td>
            <td>
              <span className={`badge badge-job-${job.status}`}>{job.status}</span>
            </td>
            <td>
              {job.attempts} of {job.maxAttempts}
            </td>
            <td>{job.lastError ? <p className="error-text">{job.lastError}</p> : '—'}</td>
            <td>
              {formatDateTime(job.runAt)}
              {job.finishedAt ? <span className="hint"> · ended {formatDateTime(job.finishedAt)}</span> : null}
            </td>
            <td>
              {job.status === 'failed' && mayRetry ? (
                <button type="button" onClick={() => void retry(job)} disabled={busy === job.id} aria-label={`Retry ${job.type} ${job.id}`}>
                  Retry
                </button>
              ) : null}
            </td>
          </tr>
        )}
      />

      <h2>Schedules</h2>
      <Show loaded={schedules}>
        {(rows) =>
          rows.length === 0 ? (
            <Empty>No recurring jobs.</Empty>
          ) : (
            <TableWrap label="Recurring jobs">
              <table>
                <caption className="visually-hidden">Recurring jobs</caption>
                <thead>
                  <tr>
                    <th scope="col">Schedule</th>
                    <th scope="col">Cron (UTC)</th>
                    <th scope="col">Next run</th>
                    <th scope="col">Last run</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((schedule) => (
                    <tr key={schedule.name}>
                      <td>
                        {schedule.name}
                        {schedule.jobType !== schedule.name ? <span className="hint"> ({schedule.jobType})</span> : null}
                      </td>
                      <td>
                        <code>{schedule.cron}</code>
                      </td>
                      <td>{formatDateTime(schedule.nextRunAt)}</td>
                      <td>{formatDateTime(schedule.lastRunAt, 'not yet')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )
        }
      </Show>
    </section>
  );
}
