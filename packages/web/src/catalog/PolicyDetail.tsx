import { Link, useNavigate, useParams } from 'react-router-dom';
import { ApiError } from '../api/api.js';
import { can, useSession } from '../session.js';
import { formatDate, NotFoundPage, Show, useLoad } from '../ui/ui.js';
import { catalogApi, type PolicyRecord } from '../api/catalog.js';
import { termOf } from './Policies.js';
import { PolicyFields, policyInput } from './PolicyFields.js';
import { ActionForm, DeleteButton } from '../ui/resource.js';

function seatsOf(policy: PolicyRecord): string {
  const limit = policy.maxMachines === null ? 'unlimited machines' : `${policy.maxMachines} machine${policy.maxMachines === 1 ? '' : 's'}`;
  const model = policy.floating ? `floating, heartbeat every ${policy.heartbeatSeconds ?? '—'} s` : 'node-locked';
  const overdraft = policy.overdraft ? ('seats' in policy.overdraft ? `, +${policy.overdraft.seats} overdraft` : `, overdraft ×${policy.overdraft.factor}`) : '';
  return `${limit} (${model})${overdraft}${policy.maxUsers !== null ? `; ${policy.maxUsers} named users` : ''}`;
}

function subscriptionOf(policy: PolicyRecord): string {
  const renew = policy.autoRenew ? `renews automatically (${policy.renewedBy === 'billing' ? 'by the billing system' : 'by Keyhaven'})` : 'does not renew by itself';
  return `${renew}; cancel up to ${policy.cancellationNoticeDays} days before term end; terms aligned to ${policy.alignment}${policy.alignment === 'fiscal-year' ? ` (month ${policy.fiscalYearStartMonth})` : ''}`;
}

export function PolicyDetail() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const { me } = useSession();
  const loaded = useLoad(async () => {
    const policy = await catalogApi.getPolicy(id);
    return { policy, product: await catalogApi.getProduct(policy.productId) };
  }, id);

  if (loaded.error instanceof ApiError && loaded.error.status === 404) return <NotFoundPage what="policy" back="/console/policies" />;

  return (
    <Show loaded={loaded}>
      {({ policy, product }) => (
        <section aria-labelledby="policy-title">
          <p>
            <Link to={`/console/policies?productId=${product.id}`}>← Policies</Link>
          </p>
          <h1 id="policy-title">
            {policy.name} <span className="hint">{policy.kind}</span>
          </h1>
          <dl className="facts">
            <dt>Product</dt>
            <dd>
              <Link to={`/console/products/${product.id}`}>{product.name}</Link>
            </dd>
            <dt>Term</dt>
            <dd data-testid="policy-term">
              {termOf(policy)}
              {policy.graceDays ? `, ${policy.graceDays} grace days` : ''}
              {policy.expiryEnds === 'updates' ? '; expiry ends updates only' : ''}
            </dd>
            <dt>Seats</dt>
            <dd>{seatsOf(policy)}</dd>
            <dt>Features</dt>
            <dd>{policy.features.length ? policy.features.join(', ') : 'none'}</dd>
            {policy.kind === 'subscription' ? (
              <>
                <dt>Subscription</dt>
                <dd data-testid="policy-subscription">{subscriptionOf(policy)}</dd>
              </>
            ) : null}
            <dt>Price</dt>
            <dd>{policy.price !== null ? `${(policy.price / 100).toFixed(2)} ${policy.currency ?? ''}` : '—'}</dd>
            <dt>Updated</dt>
            <dd>{formatDate(policy.updatedAt)}</dd>
          </dl>
          <p className="actions">
            <Link to={`/console/events?targetType=policy&targetId=${policy.id}`}>History</Link>
          </p>
          {can(me, 'policies:write') ? (
            <>
              <ActionForm
                title="Edit policy"
                submitLabel="Save policy"
                className="card stack-form policy-form"
                onSubmit={async (form) => {
                  await catalogApi.updatePolicy(policy.id, policyInput(form, false));
                  loaded.reload();
                  return 'Saved. Licenses issued from now on get these terms; existing licenses keep theirs.';
                }}
              >
                <PolicyFields policy={policy} />
              </ActionForm>
              <div className="actions">
                <DeleteButton
                  what={`policy ${policy.name}`}
                  consequence="Only a policy no license was issued from can be deleted."
                  onDelete={() => catalogApi.deletePolicy(policy.id)}
                  onDeleted={() => navigate(`/console/policies?productId=${product.id}`)}
                />
              </div>
            </>
          ) : null}
        </section>
      )}
    </Show>
  );
}
