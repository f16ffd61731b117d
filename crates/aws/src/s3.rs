//! CloudTrail log files in S3, read as a stream (a 50 MB file never sits in memory whole).

use aws_sdk_s3::primitives::ByteStream;

use crate::error::AwsError;

#[derive(Clone)]
pub struct TrailFiles {
    pub client: aws_sdk_s3::Client,
}

impl TrailFiles {
    /// Path-style addressing when an endpoint is configured (a local emulator has no
    /// per-bucket host names); virtual-hosted style on AWS.
    pub fn new(config: &aws_config::SdkConfig) -> TrailFiles {
        let s3 = aws_sdk_s3::config::Builder::from(config)
            .force_path_style(config.endpoint_url().is_some())
            .build();
        TrailFiles {
            client: aws_sdk_s3::Client::from_conf(s3),
        }
    }

    /// The object's body as a byte stream (`version_id` when the notification names one).
    pub async fn open(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<ByteStream, AwsError> {
        let out = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .set_version_id(version_id.map(str::to_string))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("GetObject", e))?;
        Ok(out.body)
    }

    /// The object's body as a blocking reader, for a parser on a blocking thread
    /// (`tokio::task::spawn_blocking`): it must be opened inside the runtime.
    pub async fn open_reader(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<impl std::io::Read + Send + 'static, AwsError> {
        let body = self.open(bucket, key, version_id).await?;
        Ok(tokio_util::io::SyncIoBridge::new(body.into_async_read()))
    }
}
