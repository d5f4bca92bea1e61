package mailcompose

// SignInText is the data of the sign-in link templates
// (email-signin-subject.txt and email-signin.txt).
type SignInText struct {
	// Name is the member's display name, or "".
	Name string
	// Link is the one-time sign-in URL.
	Link string
	// Minutes is how long the link works.
	Minutes int
}
