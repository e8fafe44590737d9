// Package knack is a client for the classic Knack REST API (/v1,
// object-based requests): paged listing streamed page by page and fetched
// concurrently up to the app's rate limit, single-record reads and writes,
// the application schema, filters built in Go, a token-bucket rate limit that
// a shared budget can replace, retries with backoff, and typed errors.
//
// The package imports nothing internal. It never logs API keys or record
// bodies. docs/knack-api.md (§2, §3, §6) describes the behaviour it is
// written against.
package knack
