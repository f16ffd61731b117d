//! The settings a command runs with: the process environment for the binary, any map for
//! tests and embedding callers, so nothing needs `std::env::set_var`.

use std::collections::BTreeMap;

use cognito_watch_core::config::ConfigError;

/// Environment variables, as the command sees them.
#[derive(Debug, Clone, Default)]
pub struct Env(BTreeMap<String, String>);

impl Env {
    /// The process environment.
    pub fn process() -> Env {
        Env(std::env::vars().collect())
    }

    /// Exactly these variables.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Env {
        Env(pairs
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect())
    }

    /// These variables as well (replacing same-named ones).
    pub fn with<K: Into<String>, V: Into<String>>(
        mut self,
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Env {
        self.0
            .extend(pairs.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// Set one variable.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.insert(name.into(), value.into());
    }

    /// A variable's value, if set and not blank.
    pub fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).filter(|v| !v.trim().is_empty()).cloned()
    }

    /// A variable that must be set.
    pub fn require(&self, name: &'static str, what: &'static str) -> Result<String, ConfigError> {
        self.get(name).ok_or(ConfigError::Missing { name, what })
    }

    /// The lookup the core's configuration readers take.
    pub fn lookup(&self) -> impl Fn(&str) -> Option<String> + '_ {
        move |k| self.get(k)
    }

    /// The SDK configuration for this environment (its endpoint, region and credentials).
    pub async fn sdk(&self, max_attempts: u32) -> aws_config::SdkConfig {
        cognito_watch_aws::sdk::load_with(max_attempts, &self.lookup()).await
    }
}
