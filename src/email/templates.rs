//! Plain-text and HTML emails in Chinese and English, chosen by the recipient's language.

/// A rendered message, ready for the outbox.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub use crate::domain::organization::Language;

/// Every email the exchange sends. Links carry single-use tokens.
pub enum Email<'a> {
    VerifyEmail {
        link: &'a str,
    },
    AccountExists {
        login_link: &'a str,
    },
    PasswordReset {
        link: &'a str,
    },
    Invitation {
        organization: &'a str,
        link: &'a str,
    },
    /// An in-app notification mirrored by email (the notification kinds of docs/DESIGN.md, "Notifications").
    Notice {
        title: &'a str,
        body: &'a str,
    },
}

impl Email<'_> {
    pub fn render(&self, lang: Language) -> Rendered {
        let zh = lang == Language::Zh;
        let (subject, lines, link): (String, Vec<String>, Option<&str>) = match self {
            Email::VerifyEmail { link } => (
                pick(zh, "请验证您的邮箱", "Verify your email address").into(),
                vec![pick(
                    zh,
                    "欢迎使用无废交易平台。请打开下面的链接验证您的邮箱（24 小时内有效）：",
                    "Welcome to the Wufei exchange. Open this link to verify your email address (valid for 24 hours):",
                )
                .into()],
                Some(link),
            ),
            Email::AccountExists { login_link } => (
                pick(zh, "您已有无废账户", "You already have a Wufei account").into(),
                vec![pick(
                    zh,
                    "有人尝试用此邮箱注册。如果是您本人，请直接登录；如忘记密码，可在登录页重置。",
                    "Someone tried to register with this email address. If it was you, sign in instead; you can reset a forgotten password from the sign-in page.",
                )
                .into()],
                Some(login_link),
            ),
            Email::PasswordReset { link } => (
                pick(zh, "重置您的密码", "Reset your password").into(),
                vec![pick(
                    zh,
                    "请在 30 分钟内打开下面的链接设置新密码。如非本人操作，请忽略本邮件。",
                    "Open this link within 30 minutes to choose a new password. If you did not ask for this, ignore this email.",
                )
                .into()],
                Some(link),
            ),
            Email::Invitation { organization, link } => (
                if zh {
                    format!("{organization} 邀请您加入无废交易平台")
                } else {
                    format!("{organization} invites you to the Wufei exchange")
                },
                vec![pick(
                    zh,
                    "请打开下面的链接创建账户并加入该单位（7 天内有效）：",
                    "Open this link to create your account and join the organization (valid for 7 days):",
                )
                .into()],
                Some(link),
            ),
            Email::Notice { title, body } => ((*title).into(), vec![(*body).into()], None),
        };
        let sign = pick(zh, "—— 无废交易平台", "— The Wufei exchange");
        let mut text = lines.join("\n\n");
        let mut html = lines
            .iter()
            .map(|l| format!("<p>{}</p>", escape(l)))
            .collect::<String>();
        if let Some(link) = link {
            text.push_str(&format!("\n\n{link}"));
            html.push_str(&format!("<p><a href=\"{0}\">{0}</a></p>", escape(link)));
        }
        text.push_str(&format!("\n\n{sign}\n"));
        html.push_str(&format!("<p>{}</p>", escape(sign)));
        Rendered {
            subject,
            text,
            html: format!("<!doctype html><html><body>{html}</body></html>"),
        }
    }
}

fn pick<'s>(zh: bool, chinese: &'s str, english: &'s str) -> &'s str {
    if zh { chinese } else { english }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_appear_in_both_parts_and_html_is_escaped() {
        let r = Email::VerifyEmail {
            link: "https://x.test/verify-email?token=a&b",
        }
        .render(Language::En);
        assert!(r.text.contains("https://x.test/verify-email?token=a&b"));
        assert!(r.html.contains("token=a&amp;b"));
        let zh = Email::Notice {
            title: "<b>",
            body: "报价已收到",
        }
        .render(Language::Zh);
        assert_eq!(zh.subject, "<b>");
        assert!(zh.html.contains("报价已收到"));
        assert!(zh.text.contains("无废交易平台"));
    }
}
