//! Password hashing (argon2id with the OWASP parameters) and the password policy. Hashing is
//! deliberately slow, so callers run it through [`off_workers`].

use std::sync::OnceLock;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::{ApiError, FieldError};

pub const MEMORY_KIB: u32 = 19_456;
pub const ITERATIONS: u32 = 2;
pub const PARALLELISM: u32 = 1;
pub const MIN_LENGTH: usize = 12;
pub const MAX_LENGTH: usize = 128;

/// Runs hashing work on the blocking pool, at most one job per two cores at a time. A sign-in
/// flood then waits in this queue instead of taking every core (and 19 MiB per attempt): the
/// request workers, the accept loop and everyone else's searches keep running.
pub async fn off_workers<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    static SLOTS: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    let slots = SLOTS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        tokio::sync::Semaphore::new((cores / 2).max(1))
    });
    let _slot = slots
        .acquire()
        .await
        .map_err(|e| ApiError::internal(anyhow::anyhow!("hashing queue: {e}")))?;
    actix_web::rt::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::internal(anyhow::anyhow!("hashing task: {e}")))
}

fn hasher() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .expect("OWASP argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash(password: &str) -> Result<String, ApiError> {
    hasher()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(anyhow::anyhow!("hashing password: {e}")))
}

/// Checks a password against a stored PHC string.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| {
            hasher()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Spends the same time as a real verification, for sign-ins with an unknown email.
pub fn dummy_verify(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let stored = DUMMY.get_or_init(|| hash("dummy password for timing").unwrap_or_default());
    let _ = verify(password, stored);
}

/// 12–128 characters, and not guessable (zxcvbn score ≥ 3, which refuses common passwords,
/// keyboard walks and repeats, and passwords built from the user's own email or name).
pub fn check_policy(field: &str, password: &str, user_inputs: &[&str]) -> Result<(), ApiError> {
    let len = password.chars().count();
    let problem = if len < MIN_LENGTH {
        Some((
            "too_short",
            format!("must be at least {MIN_LENGTH} characters long"),
        ))
    } else if len > MAX_LENGTH {
        Some((
            "too_long",
            format!("must be at most {MAX_LENGTH} characters long"),
        ))
    } else if (zxcvbn::zxcvbn(password, user_inputs).score() as u8) < 3 {
        Some((
            "too_weak",
            "is too common or easy to guess; use a longer phrase of unrelated words".to_string(),
        ))
    } else {
        None
    };
    match problem {
        Some((code, message)) => Err(ApiError::validation(vec![FieldError::new(
            field, code, message,
        )])),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_pinned_to_owasp() {
        let stored = hash("correct horse battery staple").unwrap();
        let parsed = PasswordHash::new(&stored).unwrap();
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        let params = Params::try_from(&parsed).unwrap();
        assert_eq!(params.m_cost(), 19_456);
        assert_eq!(params.t_cost(), 2);
        assert_eq!(params.p_cost(), 1);
        assert!(verify("correct horse battery staple", &stored));
        assert!(!verify("correct horse battery stapl", &stored));
        assert!(!verify("anything", "not a phc string"));
    }

    #[test]
    fn policy_refuses_short_long_and_common() {
        assert!(check_policy("password", "Sh0rt!", &[]).is_err());
        assert!(check_policy("password", &"a".repeat(129), &[]).is_err());
        assert!(check_policy("password", "passwordpassword", &[]).is_err());
        assert!(check_policy("password", "123456789012", &[]).is_err());
        assert!(check_policy("password", "qwertyuiopasdf", &[]).is_err());
        assert!(check_policy("password", "zhangwei@baotou.cn", &["zhangwei@baotou.cn"]).is_err());
        assert!(check_policy("password", "slag-kiln-Poplar-47-river", &[]).is_ok());
    }
}
