//! Settings read from the environment (README.md, "Configuration"); every one has a default for the embedded setup.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use base64::Engine;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};

#[derive(Clone, Debug)]
pub struct Settings {
    pub database_url: SecretString,
    pub bind: String,
    pub data_dir: PathBuf,
    pub public_url: String,
    pub jwt_secret: SecretString,
    pub smtp_url: Option<SecretString>,
    pub mail_from: String,
    pub log_json: bool,
    /// Lifetime of access tokens in seconds (≤ 15 minutes, docs/DESIGN.md, "Security").
    pub access_token_ttl_secs: i64,
    pub refresh_token_ttl_days: i64,
    /// Seconds a pool checkout may wait before the request answers 503.
    pub db_timeout_secs: u64,
    pub db_pool_size: u32,
    /// A PostgreSQL streaming replica of the primary for reads (`WUFEI_DATABASE_REPLICA_URL`).
    pub database_replica_url: Option<SecretString>,
    /// WAL bytes a replica may be behind and still serve reads (`WUFEI_REPLICA_MAX_LAG_BYTES`).
    pub replica_max_lag_bytes: i64,
    /// How often the replica is checked (`WUFEI_REPLICA_CHECK_MS`).
    pub replica_check_ms: u64,
    pub outbox: OutboxSettings,
    pub login_throttle: LoginThrottle,
    pub mail_throttle: MailThrottle,
    pub trade: TradeSettings,
    /// The housekeeping tick in milliseconds: every job runs a whole number of ticks apart.
    pub job_tick_ms: u64,
    /// Bearer token for `/metrics`; without it only local clients read metrics.
    pub metrics_token: Option<SecretString>,
    /// Reverse proxies whose `X-Forwarded-For` names the client (addresses or CIDR ranges);
    /// from any other peer the header is ignored.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

#[derive(Clone, Debug)]
pub struct TradeSettings {
    /// Deals whose amount is at most this many fen (in magnitude) skip staff approval; None = all
    /// deals are moderated.
    pub auto_approve_fen: Option<i64>,
    /// Weighbridge tolerance between dispatched and received net weight, in per mille.
    pub tolerance_permille: i64,
    /// Estimated road freight for matching, fen per tonne-kilometre.
    pub freight_fen_per_t_km: i64,
    /// Days without an offer after which a published lot is a stranded stream.
    pub stranded_days: i64,
    /// Heaviest gross weight a truckload may have on the road (GB 1589-2016: 49 t for the
    /// largest combination).
    pub road_limit_kg: i64,
}

#[derive(Clone, Debug)]
pub struct OutboxSettings {
    pub poll_ms: u64,
    pub max_attempts: i32,
    pub lease_secs: i64,
    /// First retry delay; doubled per attempt, with jitter.
    pub backoff_base_secs: i64,
}

#[derive(Clone, Debug)]
pub struct LoginThrottle {
    pub max_failures: u64,
    pub window_secs: u64,
}

/// How many emails a stranger can make the exchange send: per recipient address and per client
/// address, in a window (registration, password reset, invitations).
#[derive(Clone, Debug)]
pub struct MailThrottle {
    pub per_address: u64,
    pub per_client: u64,
    pub window_secs: u64,
}

/// The SQL backend a database URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("sqlite://") || url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            bail!(
                "WUFEI_DATABASE_URL must start with sqlite:// or postgres:// (got scheme {:?})",
                url.split(':').next().unwrap_or_default()
            )
        }
    }
}

impl Settings {
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (the environment, or a map in tests). Creates the data
    /// directory and, when no JWT secret is configured, generates one there once and reuses it.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let var = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        fn parse<T: std::str::FromStr>(
            name: &str,
            value: Option<String>,
            default: T,
        ) -> anyhow::Result<T>
        where
            T::Err: std::fmt::Display,
        {
            match value {
                None => Ok(default),
                Some(v) => v
                    .parse()
                    .map_err(|e| anyhow::anyhow!("{name}: cannot parse {v:?}: {e}")),
            }
        }
        let parse_var = |name: &str, default| parse(name, var(name), default);
        let parse_u64 = |name: &str, default| parse::<u64>(name, var(name), default);
        let data_dir = PathBuf::from(var("WUFEI_DATA_DIR").unwrap_or_else(|| "data".into()));
        private_dir(&data_dir)
            .with_context(|| format!("creating data dir {}", data_dir.display()))?;
        let database_url = var("WUFEI_DATABASE_URL")
            .unwrap_or_else(|| format!("sqlite://{}/wufei.db", data_dir.display()));
        let backend = Backend::of_url(&database_url)?;
        let database_replica_url = var("WUFEI_DATABASE_REPLICA_URL");
        if let Some(replica) = &database_replica_url
            && (backend != Backend::Postgres
                || Backend::of_url(replica).ok() != Some(Backend::Postgres))
        {
            bail!(
                "WUFEI_DATABASE_REPLICA_URL is a PostgreSQL standby of a PostgreSQL \
                 WUFEI_DATABASE_URL (both postgres://)"
            );
        }
        let bind = var("WUFEI_BIND").unwrap_or_else(|| "127.0.0.1:8080".into());
        let public_url = var("WUFEI_PUBLIC_URL")
            .unwrap_or_else(|| format!("http://{bind}"))
            .trim_end_matches('/')
            .to_string();
        let jwt_secret = match var("WUFEI_JWT_SECRET") {
            Some(s) => SecretString::from(s),
            None => load_or_create_key(&data_dir.join("jwt.key"))?,
        };
        check_key_strength(jwt_secret.expose_secret())?;
        let access_token_ttl_secs: i64 = parse_var("WUFEI_ACCESS_TOKEN_TTL_SECS", 900)?;
        if !(30..=900).contains(&access_token_ttl_secs) {
            bail!("WUFEI_ACCESS_TOKEN_TTL_SECS must be between 30 and 900");
        }
        Ok(Self {
            database_url: SecretString::from(database_url),
            bind,
            data_dir,
            public_url,
            jwt_secret,
            smtp_url: var("WUFEI_SMTP_URL").map(SecretString::from),
            mail_from: var("WUFEI_MAIL_FROM")
                .unwrap_or_else(|| "Wufei Exchange <no-reply@wufei.local>".into()),
            log_json: var("WUFEI_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json")),
            access_token_ttl_secs,
            refresh_token_ttl_days: parse_var("WUFEI_REFRESH_TOKEN_TTL_DAYS", 30)?,
            db_timeout_secs: parse_u64("WUFEI_DB_TIMEOUT_SECS", 3)?,
            db_pool_size: parse("WUFEI_DB_POOL_SIZE", var("WUFEI_DB_POOL_SIZE"), 10)?,
            database_replica_url: database_replica_url.map(SecretString::from),
            replica_max_lag_bytes: parse_var("WUFEI_REPLICA_MAX_LAG_BYTES", 16 << 20)?,
            replica_check_ms: parse_u64("WUFEI_REPLICA_CHECK_MS", 1000)?.max(50),
            outbox: OutboxSettings {
                poll_ms: parse_u64("WUFEI_OUTBOX_POLL_MS", 1000)?,
                max_attempts: parse(
                    "WUFEI_OUTBOX_MAX_ATTEMPTS",
                    var("WUFEI_OUTBOX_MAX_ATTEMPTS"),
                    8,
                )?,
                lease_secs: parse_var("WUFEI_OUTBOX_LEASE_SECS", 60)?,
                backoff_base_secs: parse_var("WUFEI_OUTBOX_BACKOFF_SECS", 5)?,
            },
            trade: TradeSettings {
                auto_approve_fen: match var("WUFEI_DEAL_AUTO_APPROVE_YUAN") {
                    None => None,
                    Some(v) => Some(
                        crate::domain::quantity::parse_yuan(&v)
                            .map_err(|e| anyhow::anyhow!("WUFEI_DEAL_AUTO_APPROVE_YUAN {e}"))?
                            .abs(),
                    ),
                },
                tolerance_permille: {
                    let pct: f64 = parse(
                        "WUFEI_TRANSFER_TOLERANCE_PCT",
                        var("WUFEI_TRANSFER_TOLERANCE_PCT"),
                        2.0,
                    )?;
                    if !(0.0..=50.0).contains(&pct) {
                        bail!("WUFEI_TRANSFER_TOLERANCE_PCT must be between 0 and 50");
                    }
                    (pct * 10.0).round() as i64
                },
                freight_fen_per_t_km: match var("WUFEI_FREIGHT_YUAN_PER_T_KM") {
                    None => 50,
                    Some(v) => crate::domain::quantity::parse_yuan(&v)
                        .ok()
                        .filter(|f| *f >= 0)
                        .ok_or_else(|| {
                            anyhow::anyhow!(
                                "WUFEI_FREIGHT_YUAN_PER_T_KM must be yuan with at most 2 decimals"
                            )
                        })?,
                },
                stranded_days: parse_var("WUFEI_STRANDED_DAYS", 30)?,
                road_limit_kg: {
                    let kg: i64 = parse_var("WUFEI_ROAD_LIMIT_KG", 49_000)?;
                    if !(1_000..=200_000).contains(&kg) {
                        bail!("WUFEI_ROAD_LIMIT_KG must be between 1000 and 200000");
                    }
                    kg
                },
            },
            login_throttle: LoginThrottle {
                max_failures: parse_u64("WUFEI_LOGIN_MAX_FAILURES", 10)?,
                window_secs: parse_u64("WUFEI_LOGIN_WINDOW_SECS", 900)?,
            },
            mail_throttle: MailThrottle {
                per_address: parse_u64("WUFEI_MAIL_MAX_PER_ADDRESS", 5)?,
                per_client: parse_u64("WUFEI_MAIL_MAX_PER_CLIENT", 30)?,
                window_secs: parse_u64("WUFEI_MAIL_WINDOW_SECS", 3600)?,
            },
            job_tick_ms: parse_u64("WUFEI_JOB_TICK_MS", 60_000)?.max(10),
            trusted_proxies: match var("WUFEI_TRUSTED_PROXIES") {
                None => Vec::new(),
                Some(list) => list
                    .split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(|p| {
                        p.parse::<ipnet::IpNet>()
                            .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                            .map_err(|_| {
                                anyhow::anyhow!(
                                    "WUFEI_TRUSTED_PROXIES: {p} is not an address or CIDR range"
                                )
                            })
                    })
                    .collect::<anyhow::Result<_>>()?,
            },
            metrics_token: var("WUFEI_METRICS_TOKEN")
                .filter(|t| !t.is_empty())
                .map(SecretString::from),
        })
    }

    pub fn backend(&self) -> Backend {
        // Validated in from_env.
        Backend::of_url(self.database_url.expose_secret()).unwrap_or(Backend::Sqlite)
    }
}

/// A 512-bit random key kept in the data directory, readable by the owner only.
fn load_or_create_key(path: &Path) -> anyhow::Result<SecretString> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        return Ok(SecretString::from(existing.trim().to_string()));
    }
    let mut bytes = [0u8; 64];
    rand::rng().fill_bytes(&mut bytes);
    let key = base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes);
    write_private(path, &key).with_context(|| format!("writing {}", path.display()))?;
    Ok(SecretString::from(key))
}

/// An HS256 key must be long and look random: 32 bytes or more, at least 10 distinct characters
/// (a random hex key has all 16), no character making up more than a quarter of it, and not one
/// piece repeated (a patterned "secret" is guessable whatever its length).
fn check_key_strength(key: &str) -> anyhow::Result<()> {
    let bytes = key.as_bytes();
    if bytes.len() < 32 {
        bail!("WUFEI_JWT_SECRET must be at least 32 bytes (256 bits)");
    }
    let mut counts = std::collections::HashMap::new();
    for b in bytes {
        *counts.entry(b).or_insert(0usize) += 1;
    }
    let most = counts.values().copied().max().unwrap_or(0);
    let repeated = (1..=bytes.len() / 2).any(|period| {
        bytes
            .iter()
            .enumerate()
            .all(|(i, b)| *b == bytes[i % period])
    });
    if counts.len() < 10 || most * 4 > bytes.len() || repeated {
        bail!(
            "WUFEI_JWT_SECRET looks guessable (too few distinct characters); use 32+ random \
             bytes, e.g. `openssl rand -base64 48`"
        );
    }
    Ok(())
}

/// Creates a directory (and its parents) that only the owner may enter: the data directory holds
/// the database, the signing key and mail with live links.
pub fn private_dir(path: &Path) -> std::io::Result<()> {
    let existed = path.exists();
    std::fs::create_dir_all(path)?;
    #[cfg(unix)]
    if !existed {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))?;
    }
    let _ = existed;
    Ok(())
}

/// Creates an empty file only the owner may read, unless it exists (SQLite then opens it, and
/// gives its journal files the same permissions).
pub fn private_file(path: &Path) -> std::io::Result<()> {
    if path.exists() {
        return Ok(());
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map(|_| ())
}

#[cfg(unix)]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(content.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    std::fs::write(path, content)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_secret(secret: &str) -> anyhow::Result<Settings> {
        let dir = std::env::temp_dir().join(format!("wufei-config-{}", std::process::id()));
        let data = dir.display().to_string();
        Settings::from_lookup(|k| match k {
            "WUFEI_JWT_SECRET" => Some(secret.to_string()),
            "WUFEI_DATA_DIR" => Some(data.clone()),
            _ => None,
        })
    }

    #[test]
    fn a_guessable_signing_key_stops_start_up() {
        for weak in [
            "short",
            &"a".repeat(64),
            &"abcd".repeat(16),
            "0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert!(with_secret(weak).is_err(), "{weak}");
        }
        assert!(with_secret("k3Jq9-Xw2Lr_T8bVz1Nf6Hc0Pm4Yd7Ga5Us").is_ok());
    }
}
