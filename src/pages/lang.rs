//! The pages' two languages: `?lang=zh|en`, else the browser's `Accept-Language`, else Chinese.
//! Words sit side by side where they are used (`lang.pick("吨", "t")`); only the trade's fixed
//! vocabularies (uses, stages, statuses) are listed here.

use crate::error::ApiError;
use crate::service::market::catalog::Catalog;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    /// The `lang` parameter wins; an unknown one is refused rather than guessed.
    pub fn negotiate(param: Option<&str>, accept_language: Option<&str>) -> Result<Self, ApiError> {
        match param.map(str::trim).filter(|p| !p.is_empty()) {
            Some("zh") => return Ok(Self::Zh),
            Some("en") => return Ok(Self::En),
            Some(_) => {
                return Err(ApiError::field(
                    "lang",
                    "unknown_language",
                    "must be zh or en",
                ));
            }
            None => {}
        }
        Ok(accept_language.map_or(Self::Zh, Self::from_accept_language))
    }

    /// The preferred of Chinese and English in an `Accept-Language` header (by q, then order).
    fn from_accept_language(header: &str) -> Self {
        let mut best: Option<(f32, Self)> = None;
        for part in header.split(',') {
            let mut fields = part.split(';');
            let tag = fields
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            let q = fields
                .find_map(|f| f.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let lang = if tag == "zh" || tag.starts_with("zh-") {
                Self::Zh
            } else if tag == "en" || tag.starts_with("en-") {
                Self::En
            } else {
                continue;
            };
            if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
        best.map_or(Self::Zh, |(_, l)| l)
    }

    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Self::Zh => zh,
            Self::En => en,
        }
    }

    /// The `lang` attribute of the page.
    pub fn tag(self) -> &'static str {
        self.pick("zh-CN", "en")
    }

    pub fn param(self) -> &'static str {
        self.pick("zh", "en")
    }

    pub fn other(self) -> Self {
        match self {
            Self::Zh => Self::En,
            Self::En => Self::Zh,
        }
    }

    /// The name of the other language, in that language (the switch's label).
    pub fn switch_label(self) -> &'static str {
        self.pick("English", "中文")
    }

    /// A catalog category: its code and its name (`SW02 粉煤灰`), or the code alone if unknown.
    pub fn category(self, catalog: &Catalog, code: &str) -> String {
        catalog
            .categories
            .iter()
            .find(|c| c.code == code)
            .map_or_else(
                || code.to_string(),
                |c| format!("{code} {}", self.pick(&c.name_zh, &c.name_en)),
            )
    }

    /// A use of the material (`IntendedUse`).
    pub fn intended_use(self, code: &str) -> String {
        let (zh, en) = match code {
            "cement" => ("水泥", "Cement"),
            "concrete" => ("混凝土", "Concrete"),
            "road_base" => ("道路基层", "Road base"),
            "bricks_blocks" => ("砖和砌块", "Bricks and blocks"),
            "backfill_restoration" => ("回填与生态修复", "Backfill and restoration"),
            "mineral_recovery" => ("有价组分回收", "Mineral recovery"),
            "research_trial" => ("科研试用", "Research trial"),
            "other" => ("其他", "Other"),
            other => return other.to_string(),
        };
        self.pick(zh, en).to_string()
    }

    /// A key project's stage.
    pub fn project_status(self, code: &str) -> String {
        let (zh, en) = match code {
            "planned" => ("计划", "Planned"),
            "under_construction" => ("在建", "Under construction"),
            "completed" => ("已建成", "Completed"),
            "operating" => ("投运", "Operating"),
            "cancelled" => ("取消", "Cancelled"),
            other => return other.to_string(),
        };
        self.pick(zh, en).to_string()
    }

    /// An indicator task's status.
    pub fn indicator_status(self, code: &str) -> String {
        let (zh, en) = match code {
            "on_track" => ("进展正常", "On track"),
            "at_risk" => ("有风险", "At risk"),
            "overdue" => ("已逾期", "Overdue"),
            "no_data" => ("暂无数据", "No data"),
            other => return other.to_string(),
        };
        self.pick(zh, en).to_string()
    }
}

/// A number with thousands separators and at most `places` decimals (trailing zeros dropped).
pub fn number(v: f64, places: usize) -> String {
    let text = format!("{:.*}", places, v.abs());
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut out = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    let frac = frac.trim_end_matches('0');
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    if v < 0.0 && out.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.insert(0, '-');
    }
    out
}

/// Tonnes as the API writes them (`"12345.600"`), for reading: `12,345.6`.
pub fn tonnes(api: &str) -> String {
    let t: f64 = api.parse().unwrap_or_default();
    number(t, if t.abs() >= 100.0 { 0 } else { 1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_language_decides_unless_asked() {
        let pick = |p, h| Lang::negotiate(p, h).unwrap();
        assert_eq!(pick(None, None), Lang::Zh);
        assert_eq!(pick(None, Some("en-GB,en;q=0.9")), Lang::En);
        assert_eq!(pick(None, Some("fr-FR, en;q=0.5, zh-CN;q=0.8")), Lang::Zh);
        assert_eq!(pick(None, Some("de")), Lang::Zh);
        assert_eq!(pick(Some("en"), Some("zh-CN")), Lang::En);
        assert!(Lang::negotiate(Some("fr"), None).is_err());
    }

    #[test]
    fn numbers_read_with_separators() {
        assert_eq!(number(1234567.0, 0), "1,234,567");
        assert_eq!(number(12.5, 2), "12.5");
        assert_eq!(number(-1000.25, 1), "-1,000.2");
        assert_eq!(number(-0.01, 1), "0");
        assert_eq!(tonnes("12345.600"), "12,346");
        assert_eq!(tonnes("42.250"), "42.2");
    }
}
