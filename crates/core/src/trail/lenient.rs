//! Lenient, borrowed JSON values for the typed CloudTrail record: the record is deserialised
//! straight from its bytes, keeping only the fields the tallies and detections read. Strings
//! without escapes are borrowed from the input, not copied; a nested field of an unexpected
//! type reads as absent instead of failing the record, and every field the record does not
//! name is skipped without being built.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// What CloudTrail writes in place of secrets.
pub const HIDDEN: &str = "HIDDEN_DUE_TO_SECURITY_REASONS";

/// Consume the rest of a sequence.
fn drain<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Consume a map.
fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Implements the scalar visits that read as "absent".
macro_rules! absent_scalars {
    ($value:ty) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<$value, E> {
            Ok(Default::default())
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<$value, E> {
            Ok(Default::default())
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<$value, E> {
            Ok(Default::default())
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<$value, E> {
            Ok(Default::default())
        }
        fn visit_unit<E: de::Error>(self) -> Result<$value, E> {
            Ok(Default::default())
        }
        fn visit_none<E: de::Error>(self) -> Result<$value, E> {
            Ok(Default::default())
        }
    };
}

/// A string; any other value reads as none.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Str<'a>(pub Option<Cow<'a, str>>);

struct StrVisitor;

impl<'de> Visitor<'de> for StrVisitor {
    type Value = Str<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Str<'de>, E> {
        Ok(Str(Some(Cow::Borrowed(v))))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Str<'de>, E> {
        Ok(Str(Some(Cow::Owned(v.to_string()))))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Str<'de>, E> {
        Ok(Str(Some(Cow::Owned(v))))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Str<'de>, A::Error> {
        drain(seq).map(|()| Str(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Str<'de>, A::Error> {
        drain_map(map).map(|()| Str(None))
    }
    absent_scalars!(Str<'de>);
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrVisitor)
    }
}

/// A string, or the first string of an array (CloudTrail writes both shapes); any other value
/// reads as none.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Text<'a>(pub Option<Cow<'a, str>>);

impl Text<'_> {
    /// The value, unless it is empty or what CloudTrail writes in place of a secret.
    pub fn get(&self) -> Option<&str> {
        self.0.as_deref().filter(|s| !s.is_empty() && *s != HIDDEN)
    }

    /// The value as written.
    pub fn raw(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text<'de>, E> {
        Ok(Text(Some(Cow::Borrowed(v))))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'de>, E> {
        Ok(Text(Some(Cow::Owned(v.to_string()))))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Text<'de>, E> {
        Ok(Text(Some(Cow::Owned(v))))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Text<'de>, A::Error> {
        while let Some(Str(s)) = seq.next_element::<Str<'de>>()? {
            if s.is_some() {
                drain(seq)?;
                return Ok(Text(s));
            }
        }
        Ok(Text(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Text<'de>, A::Error> {
        drain_map(map).map(|()| Text(None))
    }
    absent_scalars!(Text<'de>);
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor)
    }
}

/// The strings of an array (other elements skipped); any other value reads as empty.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Strings<'a>(pub Vec<Cow<'a, str>>);

struct StringsVisitor;

impl<'de> Visitor<'de> for StringsVisitor {
    type Value = Strings<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strings<'de>, A::Error> {
        let mut out = Vec::new();
        while let Some(Str(s)) = seq.next_element::<Str<'de>>()? {
            out.extend(s);
        }
        Ok(Strings(out))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Strings<'de>, E> {
        Ok(Strings::default())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Strings<'de>, A::Error> {
        drain_map(map).map(|()| Strings::default())
    }
    absent_scalars!(Strings<'de>);
}

impl<'de: 'a, 'a> Deserialize<'de> for Strings<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StringsVisitor)
    }
}

/// A boolean; any other value reads as none.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Flag(pub Option<bool>);

struct FlagVisitor;

impl<'de> Visitor<'de> for FlagVisitor {
    type Value = Flag;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Flag, E> {
        Ok(Flag(Some(v)))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Flag, E> {
        Ok(Flag(None))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Flag, E> {
        Ok(Flag(None))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Flag, E> {
        Ok(Flag(None))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Flag, E> {
        Ok(Flag(None))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Flag, E> {
        Ok(Flag(None))
    }
    fn visit_none<E: de::Error>(self) -> Result<Flag, E> {
        Ok(Flag(None))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Flag, A::Error> {
        drain(seq).map(|()| Flag(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Flag, A::Error> {
        drain_map(map).map(|()| Flag(None))
    }
}

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FlagVisitor)
    }
}

/// A whole non-negative number however it is written (`400`, `400.0`, `"400"`); any other
/// value reads as none.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WholeNumber(pub Option<u64>);

fn whole(f: f64) -> WholeNumber {
    WholeNumber((f.fract() == 0.0 && f >= 0.0 && f < u64::MAX as f64).then_some(f as u64))
}

struct WholeNumberVisitor;

impl<'de> Visitor<'de> for WholeNumberVisitor {
    type Value = WholeNumber;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<WholeNumber, E> {
        Ok(WholeNumber(Some(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<WholeNumber, E> {
        Ok(WholeNumber(u64::try_from(v).ok()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<WholeNumber, E> {
        Ok(whole(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<WholeNumber, E> {
        Ok(v.trim().parse::<f64>().map(whole).unwrap_or_default())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<WholeNumber, E> {
        Ok(WholeNumber(None))
    }
    fn visit_unit<E: de::Error>(self) -> Result<WholeNumber, E> {
        Ok(WholeNumber(None))
    }
    fn visit_none<E: de::Error>(self) -> Result<WholeNumber, E> {
        Ok(WholeNumber(None))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<WholeNumber, A::Error> {
        drain(seq).map(|()| WholeNumber(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<WholeNumber, A::Error> {
        drain_map(map).map(|()| WholeNumber(None))
    }
}

impl<'de> Deserialize<'de> for WholeNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(WholeNumberVisitor)
    }
}

/// An object read as `T`; any other value reads as none.
#[derive(Debug, Clone, PartialEq)]
pub struct Object<T>(pub Option<T>);

impl<T> Default for Object<T> {
    fn default() -> Self {
        Object(None)
    }
}

impl<T> Object<T> {
    /// The object, when it was one.
    pub fn get(&self) -> Option<&T> {
        self.0.as_ref()
    }
}

struct ObjectVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
    type Value = Object<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Object<T>, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(|t| Object(Some(t)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Object<T>, A::Error> {
        drain(seq).map(|()| Object(None))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Object<T>, E> {
        Ok(Object(None))
    }
    absent_scalars!(Object<T>);
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ObjectVisitor(PhantomData))
    }
}

/// The objects of an array, each read as `T` (other elements skipped); any other value reads
/// as empty.
#[derive(Debug, Clone, PartialEq)]
pub struct Objects<T>(pub Vec<T>);

impl<T> Default for Objects<T> {
    fn default() -> Self {
        Objects(Vec::new())
    }
}

struct ObjectsVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectsVisitor<T> {
    type Value = Objects<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Objects<T>, A::Error> {
        let mut out = Vec::new();
        while let Some(Object(t)) = seq.next_element::<Object<T>>()? {
            out.extend(t);
        }
        Ok(Objects(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Objects<T>, A::Error> {
        drain_map(map).map(|()| Objects::default())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Objects<T>, E> {
        Ok(Objects::default())
    }
    absent_scalars!(Objects<T>);
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Objects<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ObjectsVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, serde::Deserialize)]
    #[serde(default)]
    struct Probe<'a> {
        #[serde(borrow)]
        text: Text<'a>,
        #[serde(borrow)]
        list: Strings<'a>,
        flag: Flag,
        status: WholeNumber,
        #[serde(borrow)]
        inner: Object<Inner<'a>>,
    }

    #[derive(Debug, Default, serde::Deserialize)]
    #[serde(default)]
    struct Inner<'a> {
        #[serde(borrow)]
        arn: Text<'a>,
    }

    fn probe(json: &str) -> Probe<'_> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_field_of_an_unexpected_type_reads_as_absent_and_the_rest_is_still_read() {
        for odd in [
            "1",
            "1.5",
            "-3",
            "true",
            "null",
            "{\"a\":[1,{\"b\":2}]}",
            "[[\"x\"]]",
        ] {
            let json = format!(
                r#"{{"text":{odd},"list":{odd},"flag":{odd},"inner":{odd},"after":"x","status":"x"}}"#
            );
            let p = probe(&json);
            assert_eq!(p.text.get(), None, "{odd}");
            assert!(p.list.0.is_empty(), "{odd}");
            assert_eq!(p.inner.0.and_then(|i| i.arn.0), None, "{odd}");
            assert_eq!(p.status.0, None, "{odd}");
            if odd != "true" {
                assert_eq!(p.flag.0, None, "{odd}");
            }
        }
    }

    #[test]
    fn strings_are_borrowed_unless_escaped_and_arrays_give_their_first_string() {
        let p = probe(r#"{"text":[1,"c1","c2"],"list":["a",2,"b\"q"],"inner":{"arn":"x"}}"#);
        assert_eq!(p.text.get(), Some("c1"));
        assert!(matches!(p.text.0, Some(Cow::Borrowed(_))));
        assert_eq!(p.list.0, vec!["a", "b\"q"]);
        assert!(matches!(p.list.0[1], Cow::Owned(_)));
        assert_eq!(p.inner.get().and_then(|i| i.arn.get()), Some("x"));
        assert_eq!(
            probe(r#"{"text":"HIDDEN_DUE_TO_SECURITY_REASONS"}"#)
                .text
                .get(),
            None
        );
        assert_eq!(probe(r#"{"text":""}"#).text.get(), None);
    }

    #[test]
    fn a_status_is_read_however_the_number_is_written() {
        for (json, want) in [
            ("400", Some(400)),
            ("400.0", Some(400)),
            ("\" 400 \"", Some(400)),
            ("400.5", None),
            ("-1", None),
            ("\"x\"", None),
        ] {
            assert_eq!(
                probe(&format!(r#"{{"status":{json}}}"#)).status.0,
                want,
                "{json}"
            );
        }
    }
}
