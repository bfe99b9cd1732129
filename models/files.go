package models

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"strings"

	"gorm.io/gorm"
)

// MaxFileBytes is the largest proof-of-execution file (10 MiB).
const MaxFileBytes = 10 << 20

// Upload is one file as received.
type Upload struct {
	Name string
	Data []byte
}

// fileKinds are the accepted types with the extension files are stored with.
var fileKinds = map[string]string{
	"application/pdf": ".pdf",
	"image/png":       ".png",
	"image/jpeg":      ".jpg",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
}

// DetectFileType reads the type from the content, never from the name: PDF,
// PNG, JPEG, or DOCX (a ZIP holding word/document.xml). "" means refused.
func DetectFileType(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("%PDF-")):
		return "application/pdf"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(b, []byte("\xff\xd8\xff")):
		return "image/jpeg"
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return ""
		}
		for _, f := range zr.File {
			if f.Name == "word/document.xml" {
				return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
			}
		}
	}
	return ""
}

// storedName keeps the person's file name but gives it the detected type's extension.
func storedName(name, contentType string) string {
	base := filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	base = strings.TrimSuffix(base, filepath.Ext(base))
	base = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' || r == '/' {
			return -1
		}
		return r
	}, base)
	if strings.TrimSpace(base) == "" || base == "." {
		base = "proof-of-execution"
	}
	if runeLen(base) > 150 {
		base = string([]rune(base)[:150])
	}
	return base + fileKinds[contentType]
}

// CheckUploads refuses the whole batch when any file is empty, too large or
// of another type, so nothing is stored on refusal.
func CheckUploads(ups []Upload) FieldErrors {
	if len(ups) == 0 {
		return FieldErrors{"files": "claim.err_file_none"}
	}
	for _, u := range ups {
		if len(u.Data) > MaxFileBytes {
			return FieldErrors{"files": "claim.err_file_size"}
		}
		if DetectFileType(u.Data) == "" {
			return FieldErrors{"files": "claim.err_file_type"}
		}
	}
	return nil
}

// AddFiles stores proof-of-execution files on a claim the person may see, in
// one transaction with their history rows. Partners may add files in every
// state (SPEC §4.2); reviewers and operators do not upload.
func (s *Store) AddFiles(ctx context.Context, who Who, claimID int64, ups []Upload) ([]int64, error) {
	if fe := CheckUploads(ups); fe != nil {
		return nil, &CheckError{Fields: fe}
	}
	if !who.Role.IsPartner() {
		return nil, ErrForbidden
	}
	var ids []int64
	err := s.tx(ctx, func(tx *gorm.DB) error {
		c, err := claimRow(tx, who.viewer(), claimID)
		if err != nil {
			return err
		}
		ids, err = s.insertFiles(tx, who, c, ups)
		return err
	})
	return ids, err
}

func (s *Store) insertFiles(tx *gorm.DB, who Who, c *Claim, ups []Upload) ([]int64, error) {
	var ids []int64
	now := s.Now()
	for _, u := range ups {
		ct := DetectFileType(u.Data)
		sum := sha256.Sum256(u.Data)
		name := storedName(u.Name, ct)
		if err := tx.Exec(`INSERT INTO claim_files (claim_id, uploader_id, name, content_type, size, sha256, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			c.ID, nullID(who.UserID), name, ct, len(u.Data), hex.EncodeToString(sum[:]), Ms(now)).Error; err != nil {
			return nil, err
		}
		id, err := lastID(tx)
		if err != nil {
			return nil, err
		}
		if err := tx.Exec(`INSERT INTO file_blobs (file_id, data) VALUES (?, ?)`, id, u.Data).Error; err != nil {
			return nil, err
		}
		if err := addHistory(tx, c.ID, now, who, "file", c.Status, c.Status, name); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, tx.Exec(`UPDATE claims SET updated_at = ? WHERE id = ?`, Ms(now), c.ID).Error
}

// DisputeWithFiles disputes a rejection, storing its new evidence in the
// same transaction (a refused dispute leaves no file behind).
func (s *Store) DisputeWithFiles(ctx context.Context, who Who, req Request, ups []Upload) (Result, error) {
	if len(ups) > 0 {
		if fe := CheckUploads(ups); fe != nil {
			return Result{}, &CheckError{Fields: fe}
		}
	}
	var res Result
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if len(ups) > 0 {
			c, err := claimRow(tx, who.viewer(), req.ClaimID)
			if err != nil {
				return err
			}
			if req.FileIDs, err = s.insertFiles(tx, who, c, ups); err != nil {
				return err
			}
		}
		var err error
		res, err = s.apply(tx, who, req)
		return err
	})
	return res, err
}

// FileContent returns a file of a claim the viewer may see.
func (s *Store) FileContent(ctx context.Context, v Viewer, claimID, fileID int64) (*ClaimFile, []byte, error) {
	if _, _, err := s.ClaimFor(ctx, v, claimID); err != nil {
		return nil, nil, err
	}
	var f ClaimFile
	if err := s.r(ctx).Raw(`SELECT id, claim_id, name, content_type, size, created_at FROM claim_files WHERE id = ? AND claim_id = ?`,
		fileID, claimID).Scan(&f).Error; err != nil {
		return nil, nil, err
	}
	if f.ID == 0 {
		return nil, nil, ErrNotFound
	}
	var data []byte
	if err := s.r(ctx).Raw(`SELECT data FROM file_blobs WHERE file_id = ?`, fileID).Row().Scan(&data); err != nil {
		return nil, nil, err
	}
	return &f, data, nil
}
