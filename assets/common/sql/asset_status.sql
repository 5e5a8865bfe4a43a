CREATE SCHEMA IF NOT EXISTS quality;

CREATE TABLE IF NOT EXISTS quality.asset_status (
    asset VARCHAR PRIMARY KEY, status VARCHAR NOT NULL, message_en VARCHAR NOT NULL,
    message_zh VARCHAR NOT NULL, detail VARCHAR, as_of DATE);
