//! Delivers the outbox. Any number of server instances may run this worker: a message is claimed
//! with a lease (a conditional update of `claimed_until`), so it is sent once in normal operation,
//! and a worker that dies mid-send only delays it until the lease runs out.

use std::time::Duration;

use anyhow::Context;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rand::Rng;
use secrecy::ExposeSecret;

use crate::config::{OutboxSettings, Settings};
use crate::db::{Db, now};
use crate::email::outbox::{self, Outcome, Pending};
use crate::error::ApiError;

/// SMTP when configured, otherwise `.eml` files under `<data dir>/mail`.
#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>),
}

impl Mailer {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        Ok(match &settings.smtp_url {
            Some(url) => Self::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
                    .context("WUFEI_SMTP_URL is not a valid SMTP URL")?
                    .timeout(Some(Duration::from_secs(15)))
                    .build(),
            ),
            None => {
                let dir = settings.data_dir.join("mail");
                crate::config::private_dir(&dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
                Self::Files(AsyncFileTransport::new(dir))
            }
        })
    }

    async fn send(&self, message: Message) -> Result<(), String> {
        match self {
            Self::Smtp(t) => t.send(message).await.map(drop).map_err(|e| e.to_string()),
            Self::Files(t) => t.send(message).await.map(drop).map_err(|e| e.to_string()),
        }
    }
}

pub struct Worker {
    db: Db,
    mailer: Mailer,
    from: Mailbox,
    settings: OutboxSettings,
    instance: String,
}

impl Worker {
    pub fn new(db: Db, settings: &Settings) -> anyhow::Result<Self> {
        Ok(Self {
            db,
            mailer: Mailer::from_settings(settings)?,
            from: settings
                .mail_from
                .parse()
                .context("WUFEI_MAIL_FROM is not a valid mailbox")?,
            settings: settings.outbox.clone(),
            instance: uuid::Uuid::now_v7().to_string(),
        })
    }

    /// Runs until the process ends. Errors (database down, SMTP down) are logged and retried.
    pub async fn run(self) {
        loop {
            let delivered = match self.tick().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e.detail, cause = ?e.cause, "outbox round failed");
                    0
                }
            };
            if delivered == 0 {
                tokio::time::sleep(Duration::from_millis(self.settings.poll_ms)).await;
            }
        }
    }

    /// Claims and sends what is due; returns how many messages were handled.
    pub async fn tick(&self) -> Result<usize, ApiError> {
        let instance = self.instance.clone();
        let lease = self.settings.lease_secs;
        let batch = self
            .db
            .read(move |conn| Ok(outbox::claim(conn, &instance, lease)?))
            .await?;
        let count = batch.len();
        for message in batch {
            let outcome = self.deliver(&message).await;
            self.record(message, outcome).await?;
        }
        Ok(count)
    }

    async fn deliver(&self, m: &Pending) -> Result<(), Delivery> {
        let to: Mailbox = m
            .recipient
            .parse()
            .map_err(|e| Delivery::Permanent(format!("bad recipient: {e}")))?;
        // The outbox id names the message: a resend after a lost acknowledgement carries the same
        // Message-ID, so mail systems (and our delivery checks) can tell it is one message.
        let message_id = format!("<{}@{}>", m.id, self.from.email.domain());
        let message = Message::builder()
            .message_id(Some(message_id))
            .from(self.from.clone())
            .to(to)
            .subject(&m.subject)
            .multipart(MultiPart::alternative_plain_html(
                m.body_text.clone(),
                m.body_html.clone(),
            ))
            .map_err(|e| Delivery::Permanent(e.to_string()))?;
        self.mailer.send(message).await.map_err(Delivery::Retry)
    }

    async fn record(&self, m: Pending, outcome: Result<(), Delivery>) -> Result<(), ApiError> {
        let instance = self.instance.clone();
        let settings = self.settings.clone();
        self.db
            .read(move |conn| {
                let attempts = m.attempts + 1;
                let failure = match outcome {
                    Ok(()) => None,
                    Err(Delivery::Permanent(e)) => Some((true, e)),
                    Err(Delivery::Retry(e)) => Some((false, e)),
                };
                let outcome = match failure {
                    None => Outcome::Sent,
                    Some((permanent, error)) => {
                        let dead = permanent || attempts >= settings.max_attempts;
                        tracing::warn!(id = %m.id, attempts, dead, error = %error, "email not delivered");
                        Outcome::Failed {
                            dead,
                            error,
                            retry_at: now() + backoff(&settings, attempts),
                        }
                    }
                };
                Ok(outbox::record(conn, &m, &instance, attempts, outcome)?)
            })
            .await
    }
}

enum Delivery {
    Retry(String),
    Permanent(String),
}

/// Exponential backoff with jitter: base × 2^(attempts−1), plus up to half of that again, capped
/// at one hour so a long SMTP outage is retried at least hourly.
fn backoff(settings: &OutboxSettings, attempts: i32) -> chrono::Duration {
    let exp = settings
        .backoff_base_secs
        .max(1)
        .saturating_mul(1_i64 << (attempts - 1).clamp(0, 20))
        .min(3600);
    let jitter_ms = rand::rng().random_range(0..=exp * 500);
    chrono::Duration::seconds(exp) + chrono::Duration::milliseconds(jitter_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_bounded_jitter_and_a_cap() {
        let s = OutboxSettings {
            poll_ms: 100,
            max_attempts: 8,
            lease_secs: 60,
            backoff_base_secs: 5,
        };
        for (attempts, base) in [(1, 5), (2, 10), (3, 20), (4, 40), (20, 3600)] {
            let d = backoff(&s, attempts).num_milliseconds();
            assert!(
                d >= base * 1000 && d <= base * 1500,
                "attempt {attempts}: {d}"
            );
        }
    }
}
