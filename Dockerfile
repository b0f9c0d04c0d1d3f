# syntax=docker/dockerfile:1
#
# piiscan container image: a static binary on a distroless base (CA
# certificates, time-zone data, a non-root user, no shell).
#
#   docker build --build-arg VERSION="$(git describe --tags --always --dirty)" -t piiscan .
#   docker run --rm --read-only --tmpfs /tmp -v "$PWD/logs:/data:ro" piiscan scan /data
#
# Everything piiscan writes by default (state, fingerprint key, audit log,
# quarantine) goes to /var/lib/piiscan, the working directory: mount a
# volume there and the root file system can be read-only. Temporary files
# (spooled zip members, rewrites of objects) go to /tmp.
#
# deploy/dockerfile_test.go checks this file and builds the binary with the
# build stage's own command; keep the Go version in step with go.mod.

FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/piiscan ./cmd/piiscan
# The runtime image has no shell: its writable directory is made here.
RUN mkdir -p /out/data/config

FROM gcr.io/distroless/static-debian12:nonroot AS runtime
ARG VERSION=dev
LABEL org.opencontainers.image.title="piiscan" \
      org.opencontainers.image.description="Finds personal data in logs, backups and object storage and enforces a privacy policy on it" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=build /out/piiscan /usr/local/bin/piiscan
COPY rules.yaml /etc/piiscan/rules.yaml
COPY examples /usr/share/piiscan/examples
COPY --from=build --chown=65532:65532 /out/data /var/lib/piiscan
ENV PIISCAN_CONFIG=/etc/piiscan/rules.yaml \
    PIISCAN_DAEMON_LISTEN=:9464 \
    PIISCAN_LOG_FORMAT=json \
    XDG_CONFIG_HOME=/var/lib/piiscan/config
WORKDIR /var/lib/piiscan
VOLUME ["/var/lib/piiscan"]
USER 65532:65532
EXPOSE 9464
ENTRYPOINT ["piiscan"]
CMD ["--help"]
