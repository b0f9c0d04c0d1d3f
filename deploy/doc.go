// Package deploy holds no code: its tests keep the container image
// (../Dockerfile and ../.dockerignore), the Kubernetes manifests
// (kubernetes/), the Grafana dashboard (grafana/) and the Prometheus
// alerting rules (prometheus/) honest without a container engine, a
// cluster or a Prometheus. The Dockerfile is parsed with BuildKit's own
// parser and its build command is run on the build context that
// .dockerignore leaves, computed with the matching rules of BuildKit and
// of the classic builder; every manifest is decoded strictly into the
// Kubernetes API types, so a misspelt field fails the tests; every query
// of the dashboard and the rules is parsed with Prometheus' parser and
// checked against the metrics the daemon's registry exports.
//
// It is a Go module of its own (go.mod here, piiscan's code through a
// replace of ..), so that BuildKit, k8s.io/api and Prometheus are not
// dependencies of piiscan: run its tests from the repository root with
// go -C deploy test ./...
package deploy
