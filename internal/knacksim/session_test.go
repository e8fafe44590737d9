package knacksim

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"testing"
	"time"
)

func TestLoginAndToken(t *testing.T) {
	t.Parallel()
	clk := &clock{t: fixedNow}
	b := setup(t, func(o *Options) {
		o.Now = clk.now
		o.Users = []User{{Email: "Staff@School.org", Password: "pw", Name: "Sam Staff", ProfileKeys: []string{"profile_5"}}}
	})
	// Login needs no API key: only the app id in the path.
	b.c.headers = map[string]string{}
	resp := b.c.do("POST", "/applications/"+b.s.AppID()+"/session", map[string]any{"email": "staff@school.org", "password": "pw"})
	if resp.status != 200 {
		t.Fatalf("login: %d %s", resp.status, resp.body)
	}
	var login struct {
		Session struct {
			User struct {
				ID             string   `json:"id"`
				Token          string   `json:"token"`
				ProfileKeys    []string `json:"profile_keys"`
				AccountStatus  string   `json:"account_status"`
				ApprovalStatus string   `json:"approval_status"`
			} `json:"user"`
		} `json:"session"`
	}
	resp.json(t, &login)
	u := login.Session.User
	if !isObjectID(u.ID) || u.Token == "" || len(u.ProfileKeys) != 1 || u.AccountStatus != "active" || u.ApprovalStatus != "approved" {
		t.Fatalf("session user %+v", u)
	}
	for name, tt := range map[string]struct {
		body   map[string]any
		status int
	}{
		"wrong password": {map[string]any{"email": "staff@school.org", "password": "nope"}, 401},
		"unknown email":  {map[string]any{"email": "who@school.org", "password": "pw"}, 401},
	} {
		if resp := b.c.do("POST", "/applications/"+b.s.AppID()+"/session", tt.body); resp.status != tt.status {
			t.Errorf("%s: %d %s", name, resp.status, resp.body)
		}
	}
	if resp := b.c.do("POST", "/applications/5d7964420000000000000000/session", map[string]any{"email": "staff@school.org", "password": "pw"}); resp.status != 401 {
		t.Errorf("wrong app: %d", resp.status)
	}

	// Token validation.
	check := func(token string) int {
		return b.c.get("/session/token", "X-Knack-Application-Id", b.s.AppID(), "Authorization", token).status
	}
	if st := check(u.Token); st != 200 {
		t.Errorf("valid token: %d", st)
	}
	tampered := []byte(u.Token)
	tampered[len(tampered)-2] ^= 1
	for name, tok := range map[string]string{"empty": "", "garbage": "abc", "tampered": string(tampered)} {
		if st := check(tok); st != 401 {
			t.Errorf("%s token: %d", name, st)
		}
	}
	resp = b.c.get("/session/token", "X-Knack-Application-Id", b.s.AppID(), "Authorization", "x")
	if string(resp.body) != `{"errors":[{"message":"Invalid token. Please reauthenticate."}]}` {
		t.Errorf("invalid token body %s", resp.body)
	}
	// Tokens last 48 hours.
	clk.add(47 * time.Hour)
	if st := check(u.Token); st != 200 {
		t.Errorf("after 47h: %d", st)
	}
	clk.add(2 * time.Hour)
	if st := check(u.Token); st != 401 {
		t.Errorf("after 49h: %d", st)
	}
}

func TestViews(t *testing.T) {
	t.Parallel()
	b := setup(t)
	u := b.s.AddUser(User{Email: "t@school.org", Password: "pw"})
	if !isObjectID(u.ID) {
		t.Fatalf("AddUser id %q", u.ID)
	}
	var login struct {
		Session struct{ User struct{ Token string } }
	}
	b.c.do("POST", "/applications/"+b.s.AppID()+"/session", map[string]any{"email": "t@school.org", "password": "pw"}).json(t, &login)
	token := login.Session.User.Token

	viewHeaders := []string{"X-Knack-REST-API-Key", "knack"}
	// A public scene: the literal key "knack", or no key, is enough.
	var env envelope
	resp := b.c.get("/pages/scene_1/views/view_1/records", viewHeaders...)
	resp.json(t, &env)
	if resp.status != 200 || env.TotalRecords != 1 || env.Records[0].ID != b.school {
		t.Errorf("public view: %d %s", resp.status, resp.body)
	}
	if resp := b.c.get("/scenes/scene_1/views/view_1/records/"+b.school, "X-Knack-REST-API-Key", ""); resp.status != 200 {
		t.Errorf("public view, no key, /scenes spelling: %d", resp.status)
	}
	if resp := b.c.get("/pages/scene_1/views/view_1/records", "X-Knack-REST-API-Key", "wrong"); resp.status != 401 {
		t.Errorf("view with a wrong key: %d", resp.status)
	}
	// A login scene needs a valid token (or the app's API key).
	if resp := b.c.get("/pages/scene_2/views/view_2/records", viewHeaders...); resp.status != 401 {
		t.Errorf("login view without token: %d %s", resp.status, resp.body)
	}
	if resp := b.c.get("/pages/scene_2/views/view_2/records", append(viewHeaders, "Authorization", "bad")...); resp.status != 401 {
		t.Errorf("login view with a bad token: %d", resp.status)
	}
	withToken := append(viewHeaders, "Authorization", token)
	created := b.c.do("POST", "/pages/scene_2/views/view_2/records", map[string]any{"field_197": "v@x.org"}, withToken...)
	if created.status != 200 {
		t.Fatalf("create through a view: %d %s", created.status, created.body)
	}
	var rec struct{ ID string }
	created.json(t, &rec)
	if resp := b.c.do("PUT", "/pages/scene_2/views/view_2/records/"+rec.ID, map[string]any{"field_155": 5}, withToken...); resp.status != 200 {
		t.Errorf("update through a view: %d", resp.status)
	}
	if resp := b.c.get("/pages/scene_2/views/view_2/records", withToken...); resp.status != 200 {
		t.Errorf("list through a view: %d", resp.status)
	}
	if resp := b.c.get("/pages/scene_2/views/view_2/records"); resp.status != 200 {
		t.Errorf("login view with the API key: %d", resp.status)
	}
	if resp := b.c.do("DELETE", "/pages/scene_2/views/view_2/records/"+rec.ID, nil, withToken...); resp.status != 200 || string(resp.body) != `{"delete":true}` {
		t.Errorf("delete through a view: %d %s", resp.status, resp.body)
	}
}

func TestAssetUpload(t *testing.T) {
	t.Parallel()
	b := setup(t)
	upload := func(kind, part string, content []byte) response {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		if part != "" {
			w, _ := mw.CreateFormFile(part, "report.pdf")
			w.Write(content)
		} else {
			mw.WriteField("other", "x")
		}
		mw.Close()
		req, _ := http.NewRequest("POST", b.s.URL()+"/applications/"+b.s.AppID()+"/assets/"+kind+"/upload", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("X-Knack-Application-Id", b.s.AppID())
		req.Header.Set("X-Knack-REST-API-Key", b.s.APIKey())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return response{status: resp.StatusCode, header: resp.Header, body: out}
	}
	resp := upload("file", "files", []byte("%PDF-1.4 hello"))
	if resp.status != 200 {
		t.Fatalf("upload: %d %s", resp.status, resp.body)
	}
	var got struct {
		ID, Type, Filename string
		PublicURL          string `json:"public_url"`
		ThumbURL           string `json:"thumb_url"`
		Size               int
	}
	resp.json(t, &got)
	if !isObjectID(got.ID) || got.Type != "file" || got.Filename != "report.pdf" || got.Size != 14 || got.ThumbURL != "" {
		t.Errorf("upload answer %+v", got)
	}
	dl, err := http.Get(got.PublicURL)
	if err != nil {
		t.Fatal(err)
	}
	content, _ := io.ReadAll(dl.Body)
	dl.Body.Close()
	if dl.StatusCode != 200 || string(content) != "%PDF-1.4 hello" {
		t.Errorf("download: %d %q", dl.StatusCode, content)
	}
	if resp := upload("image", "files", []byte("GIF89a")); resp.status != 200 {
		t.Errorf("image upload: %d", resp.status)
	}
	resp = upload("file", "", nil)
	if resp.status != 400 || string(resp.body) != `{"errors":[{"message":"Please select a file to upload."}]}` {
		t.Errorf("no file part: %d %s", resp.status, resp.body)
	}
	if resp := upload("file", "wrong", []byte("x")); resp.status != 400 {
		t.Errorf("wrong part name: %d", resp.status)
	}
	if resp := upload("video", "files", []byte("x")); resp.status != 404 {
		t.Errorf("unknown kind: %d", resp.status)
	}
	if resp := b.c.do("POST", "/applications/"+b.s.AppID()+"/assets/file/upload", map[string]any{}); resp.status != 400 {
		t.Errorf("JSON instead of multipart: %d", resp.status)
	}
}
