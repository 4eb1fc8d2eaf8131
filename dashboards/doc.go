// Package dashboards holds driftwarden's Grafana dashboards (*.json), their
// provisioning examples (provisioning/), and the Prometheus recording and
// alerting rules (rules/) with their promtool unit tests (rules/tests/).
//
// It has no code of its own: its tests keep the files true to the daemon.
// Every metric a dashboard or rule names must be one the daemon exports,
// every PromQL expression must parse with Prometheus's parser, every panel
// must use the datasource variable, and every recording rule a dashboard
// uses must exist. With DRIFTWARDEN_E2E_PROMETHEUS=1 an end-to-end test runs
// a real Prometheus (Debian's prometheus package) against the daemon on the
// demo data and checks through its HTTP API that the rules load, the
// dashboards' queries return series and the alerts are in the expected state.
package dashboards
