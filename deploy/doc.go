// Package deploy holds no code: its tests keep the container image
// (../Dockerfile) and the Kubernetes manifests (kubernetes/) honest
// without a container engine or a cluster. The Dockerfile is parsed with
// BuildKit's own parser and its build command is run on the build context
// that .dockerignore leaves; every manifest is decoded strictly into the
// Kubernetes API types, so a misspelt field fails the tests.
package deploy
