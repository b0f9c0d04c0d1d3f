package bucket

import "time"

// QuickRetries returns opts with the waits of retries and resumes cut to
// a tenth, for tests whose subject is not how long the waits are: the
// number of attempts and resumes, and what is retried, stay the same.
func QuickRetries(opts Options) Options {
	opts.timing = timing{base: retryBase / 10, throttle: throttleBase / 10, max: retryMaxBackoff / 10, resume: resumeBase / 10}
	return opts
}

// WithResponseTimeout returns opts with the wait for a response's headers
// cut to d.
func WithResponseTimeout(opts Options, d time.Duration) Options {
	opts.responseTimeout = d
	return opts
}
