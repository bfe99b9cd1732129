package models_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"testing"

	"cpor/models"
)

const docxType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

// zipWith builds a ZIP archive holding the named files.
func zipWith(t testing.TB, names ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte("<xml/>")); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// padded is a file of exactly n bytes starting with head.
func padded(head string, n int) []byte {
	b := make([]byte, n)
	copy(b, head)
	return b
}

// TestFileUploads: the type is read from the content (PDF, PNG, JPEG, DOCX),
// at most 10 MiB each; a refused batch leaves nothing behind; accepted files
// keep their name with the detected type's extension.
func TestFileUploads(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.draft()
	html := []byte("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>")
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 32)...)
	jpeg := append([]byte("\xff\xd8\xff\xe0"), make([]byte, 32)...)
	docx := zipWith(t, "[Content_Types].xml", "word/document.xml")

	refused := []struct {
		name string
		ups  []models.Upload
		msg  string
	}{
		{"oversized PDF", []models.Upload{{Name: "big.pdf", Data: padded("%PDF-1.7\n", models.MaxFileBytes+1)}}, "claim.err_file_size"},
		{"HTML renamed .pdf", []models.Upload{{Name: "proof.pdf", Data: html}}, "claim.err_file_type"},
		{"plain ZIP", []models.Upload{{Name: "proof.docx", Data: zipWith(t, "notes.txt", "word/other.xml")}}, "claim.err_file_type"},
		{"truncated ZIP", []models.Upload{{Name: "proof.docx", Data: docx[:len(docx)/2]}}, "claim.err_file_type"},
		{"empty file", []models.Upload{{Name: "empty.pdf", Data: nil}}, "claim.err_file_type"},
		{"no file", nil, "claim.err_file_none"},
		{"a good file with a bad one", []models.Upload{{Name: "ok.pdf", Data: []byte(fxPDFContents)}, {Name: "bad.pdf", Data: html}}, "claim.err_file_type"},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			f := f.at(t)
			before := f.snap(id)
			_, err := f.s.AddFiles(f.ctx, f.user, id, c.ups)
			ce, ok := models.IsCheckError(err)
			if !ok || ce.Fields["files"] != c.msg {
				t.Fatalf("AddFiles: %v, want %s", err, c.msg)
			}
			f.unchanged(t, c.name, before, id)
			if n := f.int(`SELECT count(*) FROM claim_history WHERE claim_id = ? AND kind = 'file' AND id > 0`, id); n != 1 {
				t.Errorf("%d file history rows, want only the fixture's", n)
			}
		})
	}

	accepted := []struct {
		name, stored, contentType string
		data                      []byte
	}{
		{"report.docx", "report.docx", docxType, docx},
		{"scan.pdf", "scan.docx", docxType, docx}, // named .pdf, holds a DOCX
		{"photo.png", "photo.png", "image/png", png},
		{"photo.jpeg", "photo.jpg", "image/jpeg", jpeg},
		{"../../etc/passwd.pdf", "passwd.pdf", "application/pdf", []byte(fxPDFContents)},
		{"exactly-10-MiB.pdf", "exactly-10-MiB.pdf", "application/pdf", padded("%PDF-1.7\n", models.MaxFileBytes)},
	}
	for _, c := range accepted {
		t.Run(c.name, func(t *testing.T) {
			f := f.at(t)
			ids, err := f.s.AddFiles(f.ctx, f.user, id, []models.Upload{{Name: c.name, Data: c.data}})
			if err != nil || len(ids) != 1 {
				t.Fatalf("AddFiles: %v %v", ids, err)
			}
			meta, data, err := f.s.FileContent(f.ctx, viewerOf(f.user), id, ids[0])
			if err != nil {
				t.Fatal(err)
			}
			if meta.Name != c.stored || meta.ContentType != c.contentType || meta.Size != int64(len(c.data)) || !bytes.Equal(data, c.data) {
				t.Errorf("stored %q %s %d bytes (same content: %v), want %q %s", meta.Name, meta.ContentType, meta.Size,
					bytes.Equal(data, c.data), c.stored, c.contentType)
			}
		})
	}
}

// TestFileAccess: files are added by partners who see the claim and read by
// whoever sees it; another organisation's file is not found.
func TestFileAccess(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.claimIn(stSubmitted)
	pdf := []models.Upload{{Name: "more.pdf", Data: []byte(fxPDFContents)}}
	for _, c := range []struct {
		who  models.Who
		want error
	}{{f.reviewer, models.ErrForbidden}, {f.operator, models.ErrForbidden}, {f.otherAdm, models.ErrNotFound}} {
		before := f.snap(id)
		if _, err := f.s.AddFiles(f.ctx, c.who, id, pdf); !errors.Is(err, c.want) {
			t.Errorf("%s adds a file: %v, want %v", c.who.Role, err, c.want)
		}
		f.unchanged(t, "refused upload", before, id)
	}
	fileID := f.int(`SELECT id FROM claim_files WHERE claim_id = ?`, id)
	for _, who := range []models.Who{f.admin, f.user, f.reviewer, f.operator} {
		if _, _, err := f.s.FileContent(f.ctx, viewerOf(who), id, fileID); err != nil {
			t.Errorf("%s reads the file: %v", who.Role, err)
		}
	}
	if _, _, err := f.s.FileContent(f.ctx, viewerOf(f.otherAdm), id, fileID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("another organisation reads the file: %v", err)
	}
	// A file of this claim through another claim's URL is not found either.
	own := f.draftBy(f.otherAdm, f.fabLoc, f.key())
	if _, _, err := f.s.FileContent(f.ctx, viewerOf(f.otherAdm), own, fileID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("a file read through another claim: %v", err)
	}
}

// TestDisputeWithFiles: a dispute's new evidence is stored with it, or not
// at all.
func TestDisputeWithFiles(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	good := []models.Upload{{Name: "new-evidence.pdf", Data: []byte(fxPDFContents)}}

	id := f.claimIn(stRejected)
	before := f.snap(id)
	_, err := f.s.DisputeWithFiles(f.ctx, f.admin, models.Request{ClaimID: id, Action: models.ActDispute},
		[]models.Upload{{Name: "x.pdf", Data: []byte("<html>")}})
	if ce, ok := models.IsCheckError(err); !ok || ce.Fields["files"] != "claim.err_file_type" {
		t.Fatalf("dispute with a bad file: %v", err)
	}
	f.unchanged(t, "dispute with a bad file", before, id)

	// A refused dispute (another organisation's admin) stores no file.
	if _, err := f.s.DisputeWithFiles(f.ctx, f.otherAdm, models.Request{ClaimID: id, Action: models.ActDispute}, good); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("another organisation disputes: %v", err)
	}
	f.unchanged(t, "refused dispute", before, id)

	// A file alone is enough justification.
	res, err := f.s.DisputeWithFiles(f.ctx, f.admin, models.Request{ClaimID: id, Action: models.ActDispute, Version: f.claim(id).Version}, good)
	if err != nil || res.Status != stDisputed {
		t.Fatalf("dispute with a file: %+v %v", res, err)
	}
	if n := f.int(`SELECT count(*) FROM claim_files WHERE claim_id = ? AND name = 'new-evidence.pdf'`, id); n != 1 {
		t.Errorf("%d evidence files stored", n)
	}

	// After the window closes, the dispute and its file are both refused.
	late := f.claimIn(stRejected)
	f.clock.Set(f.claim(late).DisputeUntil.Time)
	before = f.snap(late)
	_, err = f.s.DisputeWithFiles(f.ctx, f.admin, models.Request{ClaimID: late, Action: models.ActDispute, Note: "Please."}, good)
	if !isRefusal(err, "claim.err_dispute_closed") {
		t.Fatalf("late dispute: %v", err)
	}
	f.unchanged(t, "late dispute", before, late)
}
