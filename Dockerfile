# syntax=docker/dockerfile:1
# piiscan container image: a static binary on a minimal base.
#   docker build -t piiscan .
#   docker run --rm -v "$PWD/logs:/data:ro" piiscan scan /data

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/piiscan ./cmd/piiscan

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/piiscan /usr/local/bin/piiscan
COPY rules.yaml /etc/piiscan/rules.yaml
ENV PIISCAN_CONFIG=/etc/piiscan/rules.yaml
USER nonroot:nonroot
ENTRYPOINT ["piiscan"]
CMD ["--help"]
