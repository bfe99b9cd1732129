package models

import (
	"context"
	"regexp"
	"strings"

	"gorm.io/gorm"
)

// Organisation is a partner organisation.
type Organisation struct {
	ID        int64
	Name      string
	Language  string
	Disabled  bool
	CreatedAt Time
}

// Location is an MPN ID of an organisation with the programs it is enrolled in.
type Location struct {
	ID             int64
	OrganisationID int64
	MPNID          string `gorm:"column:mpn_id"`
	Name           string
	ProgramIDs     []int64 `gorm:"-"`
}

// Enrolled reports whether the location is enrolled in the program.
func (l Location) Enrolled(programID int64) bool {
	for _, p := range l.ProgramIDs {
		if p == programID {
			return true
		}
	}
	return false
}

var mpnPattern = regexp.MustCompile(`^[0-9]{1,12}$`)

// ValidMPNID reports whether s is an MPN ID: digits only.
func ValidMPNID(s string) bool { return mpnPattern.MatchString(s) }

// CreateOrganisation inserts an organisation inside tx.
func (s *Store) createOrganisation(tx *gorm.DB, name, lang string) (int64, error) {
	if lang == "" {
		lang = "en"
	}
	if err := tx.Exec(`INSERT INTO organisations (name, language, created_at) VALUES (?, ?, ?)`,
		strings.TrimSpace(name), lang, Ms(s.Now())).Error; err != nil {
		return 0, translate(err)
	}
	return lastID(tx)
}

// createLocation inserts a location with its enrolments inside tx.
func (s *Store) createLocation(tx *gorm.DB, orgID int64, mpn, name string, programs []int64) (int64, error) {
	if err := tx.Exec(`INSERT INTO locations (organisation_id, mpn_id, name, created_at) VALUES (?, ?, ?, ?)`,
		orgID, mpn, name, Ms(s.Now())).Error; err != nil {
		return 0, translate(err)
	}
	id, err := lastID(tx)
	if err != nil {
		return 0, err
	}
	for _, p := range programs {
		if err := tx.Exec(`INSERT INTO location_programs (location_id, program_id) VALUES (?, ?)`, id, p).Error; err != nil {
			return 0, err
		}
	}
	return id, nil
}

// orgLocations reads an organisation's locations with their enrolments.
func (s *Store) orgLocations(db *gorm.DB, orgID int64) ([]Location, error) {
	var locs []Location
	if err := db.Raw(`SELECT id, organisation_id, mpn_id, name FROM locations WHERE organisation_id = ? ORDER BY mpn_id`, orgID).Scan(&locs).Error; err != nil {
		return nil, err
	}
	var enr []struct{ LocationID, ProgramID int64 }
	if err := db.Raw(`SELECT lp.location_id, lp.program_id FROM location_programs lp JOIN locations l ON l.id = lp.location_id
		WHERE l.organisation_id = ? ORDER BY lp.program_id`, orgID).Scan(&enr).Error; err != nil {
		return nil, err
	}
	for i := range locs {
		for _, e := range enr {
			if e.LocationID == locs[i].ID {
				locs[i].ProgramIDs = append(locs[i].ProgramIDs, e.ProgramID)
			}
		}
	}
	return locs, nil
}

// OrganisationByName finds an organisation by name, case-insensitively.
func (s *Store) OrganisationByName(ctx context.Context, name string) (*Organisation, error) {
	var o Organisation
	if err := s.r(ctx).Raw(`SELECT id, name, language, disabled, created_at FROM organisations WHERE name = ?`, strings.TrimSpace(name)).Scan(&o).Error; err != nil {
		return nil, err
	}
	if o.ID == 0 {
		return nil, ErrNotFound
	}
	return &o, nil
}

func lastID(tx *gorm.DB) (int64, error) {
	var id int64
	err := tx.Raw(`SELECT last_insert_rowid()`).Scan(&id).Error
	return id, err
}

// LocationMPNs maps location IDs to their MPN IDs.
func (s *Store) LocationMPNs(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID    int64
		MPNID string `gorm:"column:mpn_id"`
	}
	if err := s.r(ctx).Raw(`SELECT id, mpn_id FROM locations WHERE id IN ?`, ids).Scan(&rows).Error; err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ID] = r.MPNID
	}
	return out, nil
}

// ClaimLocations are the locations a person may put on a claim of a
// program: enrolled in it, and in an incentives user's scope (the rule the
// claim checks apply at save).
func ClaimLocations(locs []Location, p *Principal, programID int64) []Location {
	var out []Location
	for _, l := range locs {
		if l.Enrolled(programID) && p.InScope(l.ID) {
			out = append(out, l)
		}
	}
	return out
}
