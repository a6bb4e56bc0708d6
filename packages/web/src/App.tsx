import { lazy, Suspense } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { ResetPassword, SetPassword } from './ui/Passwords.js';
import { faceOf, homeOf, SessionProvider, useSession, type Face } from './session.js';
import { SignIn } from './ui/SignIn.js';
import { Loading, NotFoundPage } from './ui/ui.js';

// Each face is its own chunk: a customer never downloads the console, and the other way round.
const ConsoleApp = lazy(() => import('./console/ConsoleApp.js'));
const PortalApp = lazy(() => import('./portal/PortalApp.js'));
const PartnerApp = lazy(() => import('./partner/PartnerApp.js'));

function Home() {
  const { me } = useSession();
  if (me === undefined) return <Loading />;
  if (me === null) return <Navigate to="/sign-in" replace />;
  return <Navigate to={homeOf(me)} replace />;
}

/** Renders its face for the right kind of actor; anyone else goes to sign-in or to their own face. */
function Guard({ face, children }: { face: Face; children: React.ReactNode }) {
  const { me, expired } = useSession();
  const location = useLocation();
  if (me === undefined) return <Loading />;
  if (me === null) return <Navigate to="/sign-in" replace state={{ from: location.pathname + location.search, expired }} />;
  if (faceOf(me) !== face) return <Navigate to={homeOf(me)} replace />;
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
        <Route
          path="/partner/*"
          element={
            <Guard face="partner">
              <PartnerApp />
            </Guard>
          }
        />
        <Route path="*" element={<NotFoundPage />} />
      </Routes>
    </SessionProvider>
  );
}
