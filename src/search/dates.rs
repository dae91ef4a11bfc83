//! Dates written one way: `2022 年 8 月 23 日`, `2022年08月23日`, `2022-8-23` and
//! `2022/08/23` are all `2022-08-23`, and `8月23日` is `08 23`, on both sides of a search.
//! A diary's headings are dates in three styles, and a question writes them in a fourth:
//! as loose numbers, `8` never met `08`, and a section holding `2022`, `08` and `23`
//! anywhere (a timestamp in its code) took the answer.

/// `text` with each date it holds written as `YYYY-MM-DD` (`MM DD` without a year: apart,
/// so that each finds its part of a full date, not the run `MMDD` of some other number);
/// `None` when it holds none.
pub fn written_alike(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut at = 0;
    while at < bytes.len() {
        if !bytes[at].is_ascii_digit() || (at > 0 && bytes[at - 1].is_ascii_digit()) {
            at += 1;
            continue;
        }
        match date_at(text, at) {
            Some((end, date)) => {
                let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
                out.push_str(&text[copied..at]);
                out.push_str(&date);
                copied = end;
                at = end;
            }
            None => at += 1,
        }
    }
    out.map(|mut out| {
        out.push_str(&text[copied..]);
        out
    })
}

/// The date that starts at byte `at` (a digit no digit precedes): where it ends and how
/// it is written alike.
fn date_at(text: &str, at: usize) -> Option<(usize, String)> {
    let (first, after_first) = number(text, at, 4)?;
    if after_first - at == 4 {
        // A year: `-`, `/` or `.` twice, or 年 月 (日).
        if !(1900..=2099).contains(&first) {
            return None;
        }
        let rest = &text[after_first..];
        if let Some(sep) = rest.chars().next().filter(|c| matches!(c, '-' | '/' | '.')) {
            let (month, after_month) = number(text, after_first + 1, 2)?;
            let after_sep = text[after_month..].strip_prefix(sep)?;
            let day_at = text.len() - after_sep.len();
            let (day, end) = number(text, day_at, 2)?;
            return valid(month, day).then(|| (end, format!("{first}-{month:02}-{day:02}")));
        }
        let after_year = after_mark(text, after_first, '年')?;
        let (month, day, end) = month_day(text, after_year)?;
        return Some((end, format!("{first}-{month:02}-{day:02}")));
    }
    let (month, day, end) = month_day(text, at)?;
    Some((end, format!("{month:02} {day:02}")))
}

/// `M 月 D 日` (or `号`) at byte `at`: the month, the day and where it ends.
fn month_day(text: &str, at: usize) -> Option<(u32, u32, usize)> {
    let (month, after_month) = number(text, at, 2)?;
    let day_at = after_mark(text, after_month, '月')?;
    let (day, after_day) = number(text, day_at, 2)?;
    let end = after_mark(text, after_day, '日').or_else(|| after_mark(text, after_day, '号'))?;
    valid(month, day).then_some((month, day, end))
}

/// The number of at most `most` digits at byte `at`, not followed by another digit, and
/// where it ends.
fn number(text: &str, at: usize, most: usize) -> Option<(u32, usize)> {
    let digits = text
        .as_bytes()
        .get(at..)?
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits == 0 || digits > most {
        return None;
    }
    Some((text.get(at..at + digits)?.parse().ok()?, at + digits))
}

/// Where `mark` ends when it follows byte `at`, spaces allowed around it.
fn after_mark(text: &str, at: usize, mark: char) -> Option<usize> {
    let rest = text.get(at..)?.trim_start_matches(' ').strip_prefix(mark)?;
    let rest = rest.trim_start_matches(' ');
    Some(text.len() - rest.len())
}

fn valid(month: u32, day: u32) -> bool {
    (1..=12).contains(&month) && (1..=31).contains(&day)
}

#[cfg(test)]
mod tests {
    use super::written_alike;

    #[test]
    fn every_way_of_writing_a_day_is_one() {
        for text in [
            "2022 年 8 月 23 日",
            "2022年08月23日",
            "2022-8-23",
            "2022/08/23",
            "2022.8.23",
        ] {
            assert_eq!(written_alike(text).as_deref(), Some("2022-08-23"), "{text}");
        }
        assert_eq!(written_alike("8月23日看了什么").as_deref(), Some("08 23看了什么"));
        assert_eq!(written_alike("2023年6月16号 读").as_deref(), Some("2023-06-16读"));
        assert_eq!(
            written_alike("在 2022-08-23 和 2023-1-2 之间").as_deref(),
            Some("在 2022-08-23 和 2023-01-02 之间")
        );
    }

    #[test]
    fn other_numbers_are_left_as_written() {
        for text in [
            "1927-12-31 23:54:08",
            "gpt-3.5",
            "12022-08-23",
            "2022-08-230",
            "2022-13-01",
            "3000-01-01",
            "2022-08/23",
            "9 月",
            "2022 年",
            "v1.2.3",
            "",
        ] {
            let alike = written_alike(text);
            assert!(
                alike.is_none() || text == "1927-12-31 23:54:08",
                "{text}: {alike:?}"
            );
        }
        // A date is a date wherever it stands, a timestamp's too.
        assert_eq!(
            written_alike("1927-12-31 23:54:08").as_deref(),
            Some("1927-12-31 23:54:08")
        );
    }
}
