package knacksim

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"sync"
)

// maxAsset bounds one upload.
const maxAsset = 32 << 20

type asset struct {
	id, kind, filename, contentType string
	data                            []byte
}

type assetStore struct {
	mu   sync.RWMutex
	byID map[string]*asset
}

// handleUpload is POST /v1/applications/{app}/assets/{file|image}/upload:
// multipart with the file in the part "files".
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) error {
	kind := r.PathValue("kind")
	if kind != "file" && kind != "image" {
		return jsonError(http.StatusNotFound, "Not found")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxAsset+1<<20)
	missing := jsonError(http.StatusBadRequest, "Please select a file to upload.")
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return jsonError(http.StatusRequestEntityTooLarge, "File too large.")
		}
		return missing
	}
	defer func() { _ = r.MultipartForm.RemoveAll() }()
	file, header, err := r.FormFile("files")
	if err != nil {
		return missing
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, maxAsset+1))
	if err != nil {
		return err
	}
	if len(data) > maxAsset {
		return jsonError(http.StatusRequestEntityTooLarge, "File too large.")
	}
	a := &asset{id: s.newID(), kind: kind, filename: path.Base(header.Filename), data: data,
		contentType: header.Header.Get("Content-Type")}
	s.assets.mu.Lock()
	if s.assets.byID == nil {
		s.assets.byID = make(map[string]*asset)
	}
	s.assets.byID[a.id] = a
	s.assets.mu.Unlock()
	// Knack serves images from S3; the simulator serves both kinds itself.
	public := "http://" + r.Host + "/v1/applications/" + s.appID + "/download/asset/" + a.id + "/" + url.PathEscape(a.filename)
	thumb := ""
	if kind == "image" {
		thumb = public
	}
	return writeValue(w, map[string]any{
		"id": a.id, "type": kind, "filename": a.filename,
		"public_url": public, "thumb_url": thumb, "size": len(data),
	})
}

// handleDownload serves an uploaded asset (public, like Knack's URLs).
func (s *Server) handleDownload(w http.ResponseWriter, r *http.Request) error {
	if r.PathValue("app") != s.appID {
		return jsonError(http.StatusNotFound, "Not found")
	}
	s.assets.mu.RLock()
	a := s.assets.byID[r.PathValue("asset")]
	s.assets.mu.RUnlock()
	if a == nil {
		return jsonError(http.StatusNotFound, "Not found")
	}
	ct := a.contentType
	if ct == "" {
		ct = mime.TypeByExtension(path.Ext(a.filename))
	}
	if ct == "" {
		ct = http.DetectContentType(a.data)
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(a.data)))
	_, _ = w.Write(a.data)
	return nil
}
