import { lazy, Suspense } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { isStaffRole } from './api/api.js';
import { ResetPassword, SetPassword } from './ui/Passwords.js';
import { homeOf, SessionProvider, useSession } from './session.js';
import { SignIn } from './ui/SignIn.js';
import { Loading, NotFoundPage } from './ui/ui.js';

// Each face is its own chunk: a customer never downloads the console, and the other way round.
const ConsoleApp = lazy(() => import('./console/ConsoleApp.js'));
const PortalApp = lazy(() => import('./portal/PortalApp.js'));

function Home() {
  const { me } = useSession();
  if (me === undefined) return <Loading />;
  if (me === null) return <Navigate to="/sign-in" replace />;
  return <Navigate to={homeOf(me)} replace />;
}

/** Renders its face for the right kind of actor; anyone else goes to sign-in or to their own face. */
function Guard({ face, children }: { face: 'console' | 'portal'; children: React.ReactNode }) {
  const { me, expired } = useSession();
  const location = useLocation();
  if (me === undefined) return <Loading />;
  if (me === null) return <Navigate to="/sign-in" replace state={{ from: location.pathname + location.search, expired }} />;
  const staff = isStaffRole(me, me.actor.role);
  if ((face === 'console') !== staff) return <Navigate to={homeOf(me)} replace />;
  return <Suspense fallback={<Loading />}>{children}</Suspense>;
}

export function App() {
  return (
    <SessionProvider>
      <Routes>
        <Route path="/" element={<Home />} />
        <Route path="/sign-in" element={<SignIn />} />
        {/* Public: the e-mailed set-password and reset links lead to /set-password?token=… */}
        <Route path="/set-password" element={<SetPassword />} />
        <Route path="/reset-password" element={<ResetPassword />} />
        <Route
          path="/console/*"
          element={
            <Guard face="console">
              <ConsoleApp />
            </Guard>
          }
        />
        <Route
          path="/portal/*"
          element={
            <Guard face="portal">
              <PortalApp />
            </Guard>
          }
        />
        <Route path="*" element={<NotFoundPage />} />
      </Routes>
    </SessionProvider>
  );
}
