//! Listings (lots): their state machine, the hazardous-waste gate and distances.

text_enum! {
    pub enum ListingStatus {
        Draft => "draft",
        PendingReview => "pending_review",
        Published => "published",
        Closed => "closed",
    }
}

text_enum! {
    pub enum SupplyPattern {
        OneOff => "one_off",
        Recurring => "recurring",
    }
}

text_enum! {
    /// 新增 (newly generated) or 存量 (stockpiled).
    pub enum Generation {
        New => "new",
        Stock => "stock",
    }
}

text_enum! {
    pub enum DeliveryTerms {
        Pickup => "pickup",
        Delivered => "delivered",
    }
}

text_enum! {
    pub enum PricingModel {
        Fixed => "fixed",
        Offers => "offers",
    }
}

state_events! {
    pub enum ListingEvent {
        /// The producer sends a draft to review.
        Submit => "submitted for review",
        /// Staff approve: published.
        Approve => "approved",
        /// Staff reject, with a reason: back to draft.
        Reject => "rejected",
        /// Staff take a published lot down, with a reason: back to draft.
        Unpublish => "unpublished",
        /// The producer withdraws the lot.
        Withdraw => "withdrawn",
        /// Material terms of a published lot changed: back to review.
        MaterialEdit => "sent back to review by an edit",
        /// Nothing remains: the last tonnes were taken by a deal.
        SellOut => "sold out",
        /// The availability window ended.
        Expire => "closed as expired",
        /// A deal on a sold-out lot was cancelled and its window is still open: on sale again.
        Reopen => "reopened",
    }
}

impl ListingEvent {
    /// The statuses this event leaves from, for moves made as one conditional update.
    pub fn sources(self) -> Vec<ListingStatus> {
        ListingStatus::ALL
            .iter()
            .copied()
            .filter(|s| transition(*s, self).is_some())
            .collect()
    }
}

pub fn transition(from: ListingStatus, event: ListingEvent) -> Option<ListingStatus> {
    use ListingEvent::*;
    use ListingStatus::*;
    match (from, event) {
        (Draft, Submit) => Some(PendingReview),
        (PendingReview, Approve) => Some(Published),
        (PendingReview, Reject) => Some(Draft),
        (Published, Unpublish) => Some(Draft),
        (Draft | PendingReview | Published, Withdraw) => Some(Closed),
        (Published, MaterialEdit) => Some(PendingReview),
        (Published, SellOut | Expire) => Some(Closed),
        (Closed, Reopen) => Some(Published),
        _ => None,
    }
}

/// Why a declared code or characteristic puts a lot out of scope, if it does. Hazardous waste must
/// move under the hazardous-waste transfer manifest system, and only to licensed receivers. A code
/// is recognised however it is written: `HW08`, `hw-08`, `HW8`, `900-041-49`, `90004149`.
pub fn hazardous_reason(code: &str) -> Option<String> {
    let c = plain_code(code);
    // A class of the National Hazardous Waste List, HW01–HW50, with or without its zero.
    let hw_class = c
        .strip_prefix("HW")
        .filter(|n| (1..=2).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|n| n.parse::<u8>().ok())
        .is_some_and(|n| (1..=50).contains(&n));
    // A waste code of the list: 3 + 3 + 2 digits, 900-041-49.
    let list_code = c.len() == 8 && c.bytes().all(|b| b.is_ascii_digit());
    (hw_class || list_code).then(|| {
        format!(
            "{code} is hazardous waste (National Hazardous Waste List). Hazardous waste is out of \
             scope here: it must move under the hazardous-waste transfer manifest system and only \
             to licensed receivers."
        )
    })
}

/// A full-width form (as Chinese input methods type it) as its ASCII character.
fn half_width(ch: char) -> char {
    match ch {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(ch as u32 - 0xFEE0).unwrap_or(ch),
        _ => ch,
    }
}

/// Text as free-text search compares it: full-width forms as ASCII, lower case.
fn search_fold(text: &str) -> String {
    text.chars()
        .map(half_width)
        .collect::<String>()
        .to_lowercase()
}

/// What free-text search reads of a lot: its title and description, folded, one line each.
pub fn search_text(title: &str, description: &str) -> String {
    format!("{}\n{}", search_fold(title), search_fold(description))
}

/// The words of a free-text query, folded as the text is: a lot matches when each word occurs in
/// its title or description (in any order; a word may be part of a longer one, as Chinese has no
/// spaces between words).
pub fn search_words(query: &str) -> Vec<String> {
    search_fold(query)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// A code as typed, reduced to its characters: full-width forms (as Chinese input methods type
/// them) become ASCII, separators and spaces go, letters are upper-cased.
fn plain_code(code: &str) -> String {
    code.chars()
        .map(half_width)
        .filter(|ch| {
            !matches!(
                ch,
                '-' | ' ' | '_' | '.' | '·' | '\u{3000}' | '\u{2010}'..='\u{2015}'
            )
        })
        .collect::<String>()
        .to_ascii_uppercase()
}

/// The national solid-waste code (固体废物分类与代码目录, 2024) in its written form `NNN-NNN-SNN`:
/// industry (GB/T 4754), sequence 001–099, and the industrial class S01–S59 (no S08), which must
/// be the lot's GB/T 39198 category (`S02` for `SW02`).
pub fn national_code(code: &str, category: &str) -> Result<String, &'static str> {
    let c = plain_code(code);
    let b = c.as_bytes();
    let shaped = b.len() == 9
        && b[..6].iter().all(u8::is_ascii_digit)
        && b[6] == b'S'
        && b[7..].iter().all(u8::is_ascii_digit);
    if !shaped {
        return Err("must be a nine-character code NNN-NNN-SNN");
    }
    let sequence: u32 = c[3..6].parse().unwrap_or(0);
    let class: u32 = c[7..].parse().unwrap_or(0);
    if !(1..=99).contains(&sequence) || !(1..=59).contains(&class) || class == 8 {
        return Err(
            "is not an industrial solid-waste code (sequence 001–099, class S01–S59, no S08)",
        );
    }
    if category.strip_prefix("SW") != Some(&c[7..]) {
        return Err("its class Snn must match the lot's category SWnn");
    }
    Ok(format!("{}-{}-{}", &c[..3], &c[3..6], &c[6..]))
}

/// Hazardous characteristics a listing may not declare (GB 5085): any of them means hazardous.
pub const HAZARDOUS_CHARACTERISTICS: &[&str] = &[
    "corrosivity",
    "toxicity",
    "ignitability",
    "reactivity",
    "infectivity",
    "leaching_toxicity",
];

const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Great-circle distance in kilometres.
pub fn haversine_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().asin()
}

/// A latitude/longitude box that contains every point within `radius_km` (a cheap prefilter
/// that indexes can serve; the exact distance is checked afterwards).
pub struct BoundingBox {
    pub min_lat: f64,
    pub max_lat: f64,
    pub min_lon: f64,
    pub max_lon: f64,
}

pub fn bounding_box(lat: f64, lon: f64, radius_km: f64) -> BoundingBox {
    let dlat = (radius_km / EARTH_RADIUS_KM).to_degrees();
    let cos = lat.to_radians().cos().max(0.01);
    let dlon = (dlat / cos).min(180.0);
    BoundingBox {
        min_lat: lat - dlat,
        max_lat: lat + dlat,
        min_lon: lon - dlon,
        max_lon: lon + dlon,
    }
}

/// Kilometres per degree of longitude at a latitude; with it, squared planar distance orders
/// nearby points as the great circle does, using arithmetic any SQL backend has.
pub fn km_per_degree_lon(lat: f64) -> f64 {
    EARTH_RADIUS_KM.to_radians() * lat.to_radians().cos()
}

pub fn km_per_degree_lat() -> f64 {
    EARTH_RADIUS_KM.to_radians()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ListingEvent::*;
    use ListingStatus::*;

    #[test]
    fn listing_table() {
        let allowed = [
            (Draft, Submit, PendingReview),
            (PendingReview, Approve, Published),
            (PendingReview, Reject, Draft),
            (Published, Unpublish, Draft),
            (Draft, Withdraw, Closed),
            (PendingReview, Withdraw, Closed),
            (Published, Withdraw, Closed),
            (Published, MaterialEdit, PendingReview),
            (Published, SellOut, Closed),
            (Published, Expire, Closed),
            (Closed, Reopen, Published),
        ];
        crate::domain::assert_table(ListingStatus::ALL, ListingEvent::ALL, &allowed, transition);
        assert_eq!(Expire.sources(), vec![Published]);
    }

    #[test]
    fn hazardous_codes_are_recognised() {
        assert!(hazardous_reason("900-041-49").is_some());
        assert!(hazardous_reason("HW08").is_some());
        for other_spelling in ["90004149", "HW8", "hw-08", " hw 08 ", "900 041 49", "HW_50"] {
            assert!(
                hazardous_reason(other_spelling).is_some(),
                "{other_spelling}"
            );
        }
        assert!(hazardous_reason("HW0").is_none());
        assert!(hazardous_reason("HW123").is_none());
        assert!(hazardous_reason("9000414").is_none());
        assert!(hazardous_reason("hw50").is_some());
        assert!(hazardous_reason("HW51").is_none());
        assert!(hazardous_reason("SW02").is_none());
        assert!(hazardous_reason("900-041-4").is_none());
        // Full-width forms, as Chinese input methods type them, and other dashes.
        for wide in [
            "９００－０４１－４９",
            "ＨＷ０８",
            "ｈｗ８",
            "900—041—49",
            "HW\u{3000}08",
        ] {
            assert!(hazardous_reason(wide).is_some(), "{wide}");
        }
        // A national solid-waste code is not a hazardous-waste code.
        assert!(hazardous_reason("441-001-S02").is_none());
    }

    #[test]
    fn national_codes() {
        assert_eq!(
            national_code("441-001-S02", "SW02"),
            Ok("441-001-S02".into())
        );
        assert_eq!(national_code("441001s02", "SW02"), Ok("441-001-S02".into()));
        assert_eq!(
            national_code("４４１－００１－Ｓ０２", "SW02"),
            Ok("441-001-S02".into())
        );
        assert!(national_code("441-001-S01", "SW02").is_err());
        assert!(national_code("441-001-S08", "SW08").is_err());
        assert!(national_code("441-000-S02", "SW02").is_err());
        assert!(national_code("441-100-S02", "SW02").is_err());
        assert!(national_code("441-001-S60", "SW60").is_err());
        assert!(national_code("441-001-02", "SW02").is_err());
        assert!(national_code("4410012S02", "SW02").is_err());
        assert!(national_code("900-041-49", "SW02").is_err());
    }

    #[test]
    fn free_text_folds_width_and_case() {
        assert_eq!(
            search_text("ＩＩ级 Fly Ash", "粉煤灰\nLOI ≤ 5%"),
            "ii级 fly ash\n粉煤灰\nloi ≤ 5%"
        );
        assert_eq!(
            search_words("  Ｆly\u{3000}ASH 二级 "),
            ["fly", "ash", "二级"]
        );
        assert!(search_words(" \t").is_empty());
    }

    #[test]
    fn distances() {
        // Kundulun (steel works) to Jiuyuan, about 20 km.
        let d = haversine_km(40.653, 109.774, 40.566, 109.968);
        assert!((18.0..20.0).contains(&d), "{d}");
        let b = bounding_box(40.6, 109.8, 50.0);
        assert!(b.max_lat - b.min_lat > 0.89 && b.max_lat - b.min_lat < 0.91);
        let planar = ((40.566_f64 - 40.653) * km_per_degree_lat())
            .hypot((109.968 - 109.774) * km_per_degree_lon(40.6));
        assert!((planar - d).abs() < 0.05, "{planar} vs {d}");
    }
}
