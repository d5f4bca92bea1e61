package filelink

import "testing"

func TestURL(t *testing.T) {
	cases := []struct{ name, want string }{
		{"plan.pdf", "https://p.example/f/TOK/plan.pdf"},
		{"Q3 plan (final).pdf", "https://p.example/f/TOK/Q3_plan_final.pdf"},
		{"../../etc/passwd", "https://p.example/f/TOK/passwd"},
		{"C:\\Users\\x\\ré sumé.txt", "https://p.example/f/TOK/r_sum.txt"},
		{"日本.png", "https://p.example/f/TOK/png"},
		{"...", "https://p.example/f/TOK/file"},
		{"", "https://p.example/f/TOK/file"},
	}
	for _, c := range cases {
		if got := URL("https://p.example/", "TOK", c.name); got != c.want {
			t.Errorf("URL(%q) = %q, want %q", c.name, got, c.want)
		}
	}
}

func FuzzPathName(f *testing.F) {
	f.Add("plan.pdf")
	f.Add("\xff/\x00 a")
	f.Fuzz(func(t *testing.T, name string) {
		p := PathName(name)
		if p == "" || len(p) > 60 {
			t.Fatalf("PathName(%q) = %q", name, p)
		}
		for _, r := range p {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
				t.Fatalf("PathName(%q) = %q holds %q", name, p, r)
			}
		}
	})
}
