//go:build !unix

package openat

const nonblock = 0
