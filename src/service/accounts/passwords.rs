//! Password hashing (argon2id with the OWASP parameters) and the password policy. Hashing is
//! deliberately slow, so callers run it through [`off_workers`].

use std::sync::{Arc, Mutex, OnceLock, mpsc};

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::{ApiError, FieldError};

pub const MEMORY_KIB: u32 = 19_456;
pub const ITERATIONS: u32 = 2;
pub const PARALLELISM: u32 = 1;
pub const MIN_LENGTH: usize = 12;
pub const MAX_LENGTH: usize = 128;

type Job = Box<dyn FnOnce() + Send>;

/// Runs hashing work on the hashing pool: one thread per core, started on first use, at a lower
/// CPU priority than the request workers. A sign-in flood queues here and uses only the CPU the
/// rest of the service leaves idle: searches and trades keep their latency, and memory stays at
/// 19 MiB per pool thread however many attempts arrive.
pub async fn off_workers<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    static POOL: OnceLock<mpsc::Sender<Job>> = OnceLock::new();
    let pool = POOL.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        for i in 0..threads {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("wufei-hash-{i}"))
                .spawn(move || {
                    lower_priority();
                    loop {
                        let job = match rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                })
                .expect("hashing thread");
        }
        tx
    });
    let (done, answer) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = done.send(work());
    });
    pool.send(job)
        .map_err(|e| ApiError::internal(anyhow::anyhow!("hashing pool: {e}")))?;
    answer
        .await
        .map_err(|e| ApiError::internal(anyhow::anyhow!("hashing task: {e}")))
}

/// Nice 10 for the calling thread (on Linux, nice is per thread), so the scheduler serves
/// request workers first.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority only reads its integer arguments; who = 0 is the calling thread.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
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
