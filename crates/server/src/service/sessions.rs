//! Sessions: who a cookie signs in, signing in and out, and where a person lands.

use super::{ago, Result, Service, ServiceError, User};
use crate::store::{SignIn, Store};
use billing_domain::SessionInfo;
use std::time::Duration;

/// A session ends this long after sign-in, however busy (absolute lifetime).
pub const SESSION_LIFETIME: Duration = Duration::from_secs(14 * 24 * 60 * 60);
/// A session ends after this long without a request (idle timeout).
pub const SESSION_IDLE: Duration = Duration::from_secs(24 * 60 * 60);
/// How stale a session's "last seen" may get before a request writes it anew:
/// reads stay reads, and the idle timeout is kept to within this.
const TOUCH_EVERY: Duration = Duration::from_secs(5 * 60);

/// Session tokens are kept as their SHA-256, so a copy of the database signs nobody in.
fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

impl<S: Store> Service<S> {
    /// The person whose session `token` is, if it is live: not past its
    /// lifetime, not idle too long. Marks it seen (at most every few minutes).
    pub async fn session_user(&self, token: String) -> Result<Option<User>> {
        let hash = token_hash(&token);
        let now = self.clock.now();
        let h = hash.clone();
        let found = self
            .store
            .read(move |tx| {
                Ok::<_, ServiceError>(tx.session_user(&h, now, ago(now, SESSION_IDLE))?)
            })
            .await?;
        let Some((user, seen)) = found else {
            return Ok(None);
        };
        if ago(now, TOUCH_EVERY) > seen {
            self.store
                .write(move |tx| Ok::<_, ServiceError>(tx.touch_session(&hash, now)?))
                .await?;
        }
        Ok(Some(user.into()))
    }

    /// Who is signed in and their workspaces.
    pub async fn session_info(&self, user: User) -> Result<SessionInfo> {
        self.store
            .read(move |tx| {
                Ok(SessionInfo {
                    workspaces: tx.workspaces_of(user.id)?,
                    email: user.email,
                })
            })
            .await
    }

    /// The workspace a person lands on: the first they joined.
    pub async fn home_workspace(&self, user: User) -> Result<Option<String>> {
        self.store
            .read(move |tx| {
                Ok(tx
                    .workspaces_of(user.id)?
                    .into_iter()
                    .next()
                    .map(|w| w.slug))
            })
            .await
    }

    /// Everyone who can sign in (the demo sign-in lists them).
    pub async fn people(&self) -> Result<Vec<String>> {
        self.store.read(|tx| Ok(tx.users()?)).await
    }

    /// Starts a session for the person with `email`; answers its token (only
    /// its hash is kept). Sessions that have ended are removed on the way.
    pub async fn sign_in(&self, email: String) -> Result<String> {
        let token = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let hash = token_hash(&token);
        let now = self.clock.now();
        let expires = now + chrono::Duration::from_std(SESSION_LIFETIME).unwrap_or_default();
        self.store
            .write(move |tx| {
                let user = tx
                    .user_by_email(&email)?
                    .ok_or(ServiceError::UserNotFound(email))?;
                tx.purge_sessions(now, ago(now, SESSION_IDLE))?;
                tx.create_session(&hash, user.id, now, expires)?;
                Ok::<_, ServiceError>(())
            })
            .await?;
        Ok(token)
    }

    /// Ends the session `token`: it no longer signs anyone in. Answers the
    /// ID token it was opened with, if it came from the OpenID provider.
    pub async fn sign_out(&self, token: String) -> Result<Option<String>> {
        let hash = token_hash(&token);
        self.store
            .write(move |tx| {
                let id_token = tx.session_id_token(&hash)?;
                tx.delete_session(&hash)?;
                Ok::<_, ServiceError>(id_token)
            })
            .await
    }

    /// Signs in the person the OpenID provider vouched for (`email`,
    /// verified): a session as [`Service::sign_in`] makes, keeping the ID
    /// token for the provider's sign-out. Someone who is in no workspace gets
    /// no session: [`ServiceError::NoWorkspace`].
    pub async fn sign_in_verified(&self, email: String, id_token: String) -> Result<String> {
        let known = email.clone();
        let member = self
            .store
            .read(move |tx| {
                let Some(user) = tx.user_by_email(&known)? else {
                    return Ok::<_, ServiceError>(false);
                };
                Ok(!tx.workspaces_of(user.id)?.is_empty())
            })
            .await?;
        if !member {
            return Err(ServiceError::NoWorkspace(email));
        }
        let token = self.sign_in(email).await?;
        let hash = token_hash(&token);
        self.store
            .write(move |tx| Ok::<_, ServiceError>(tx.set_session_id_token(&hash, &id_token)?))
            .await?;
        Ok(token)
    }

    /// Keeps a sign-in through the OpenID provider, started now, under the
    /// browser's cookie value `cookie`.
    pub async fn start_sign_in(&self, cookie: &str, mut sign_in: SignIn) -> Result<()> {
        sign_in.id_hash = token_hash(cookie);
        self.store
            .write(move |tx| Ok::<_, ServiceError>(tx.insert_sign_in(&sign_in)?))
            .await
    }

    /// Takes the sign-in the browser's cookie value `cookie` started, once.
    pub async fn finish_sign_in(&self, cookie: &str) -> Result<Option<SignIn>> {
        let hash = token_hash(cookie);
        let now = self.clock.now();
        self.store
            .write(move |tx| Ok::<_, ServiceError>(tx.take_sign_in(&hash, now)?))
            .await
    }
}
