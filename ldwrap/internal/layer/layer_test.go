package layer

import (
	"bytes"
	"testing"
)

func TestFormatChangesEscapes(t *testing.T) {
	var b bytes.Buffer
	FormatChanges(&b, []Change{
		{Kind: Added, Path: "/r/new"},
		{Kind: Replaced, Path: "/r/a\nb"},
		{Kind: Removed, Path: "/r/back\\slash"},
		{Kind: DirAdded, Path: "/r/d\xff"},
		{Kind: MetaChanged, Path: "/r/é"},
	})
	want := "add /r/new\nreplace /r/a\\x0ab\nremove /r/back\\x5cslash\nmkdir /r/d\\xff\nattrs /r/é\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

func TestMountOptionsEscapes(t *testing.T) {
	got := MountOptions("/a,b:c\\d", "/s/upper", "/s/work", true)
	want := `lowerdir=/a\,b\:c\\d,upperdir=/s/upper,workdir=/s/work,redirect_dir=nofollow,metacopy=off,index=off,userxattr`
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
