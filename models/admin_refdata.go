package models

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// Kinds of reference data an operator adds and retires.
const (
	RefProgram  = "program"
	RefActivity = "activity"
	RefProduct  = "product"
)

var refTables = map[string]string{RefProgram: "programs", RefActivity: "activities", RefProduct: "products"}

// ValidArea reports whether a is a solution area.
func ValidArea(a string) bool { return a == AreaM365 || a == AreaBizApps }

// AreaGranularity is the key kind of a solution area's claim lines: Microsoft
// 365 workloads per tenant and workload, Business Applications products per
// tenant and subscription (SPEC §2).
func AreaGranularity(area string) string {
	if area == AreaM365 {
		return PerWorkload
	}
	return PerSubscription
}

// RefInput is a new program, activity or product as an operator types it.
type RefInput struct {
	Name           string
	Area           string
	EarnsIncentive bool // activities only
}

func (in *RefInput) validate(prefix string) FieldErrors {
	fe := FieldErrors{}
	in.Name = strings.TrimSpace(in.Name)
	switch {
	case in.Name == "":
		fe.Add(prefix+"_name", "err.required")
	case runeLen(in.Name) > 120:
		fe.Add(prefix+"_name", "err.too_long_120")
	}
	if !ValidArea(in.Area) {
		fe.Add(prefix+"_area", "admin.err.area")
	}
	return fe
}

// AddRefData adds a program, activity or product. Field errors are keyed
// "<kind>_name" and "<kind>_area", matching the forms of the reference-data page.
func (s *Store) AddRefData(ctx context.Context, a Actor, kind string, in RefInput) (int64, error) {
	if _, ok := refTables[kind]; !ok {
		return 0, ErrNotFound
	}
	if fe := in.validate(kind); len(fe) > 0 {
		return 0, fe
	}
	var id int64
	err := s.tx(ctx, func(tx *gorm.DB) error {
		// Names are unique regardless of case (the import finds products
		// case-insensitively); inside this immediate transaction the check
		// and the insert cannot be overtaken.
		var taken int
		areaCond, args := "solution_area = ?", []any{in.Area}
		if kind == RefProgram {
			areaCond, args = "1 = 1", nil
		}
		if err := tx.Raw(`SELECT count(*) FROM `+refTables[kind]+` WHERE `+areaCond+` AND name = ? COLLATE NOCASE`, append(args, in.Name)...).Scan(&taken).Error; err != nil {
			return err
		}
		if taken > 0 {
			return FieldErrors{kind + "_name": "admin.err.name_taken"}
		}
		var err error
		detail := in.Name + "; area=" + in.Area
		switch kind {
		case RefProgram:
			err = tx.Exec(`INSERT INTO programs (name, solution_area) VALUES (?, ?)`, in.Name, in.Area).Error
		case RefActivity:
			err = tx.Exec(`INSERT INTO activities (solution_area, name, earns_incentive) VALUES (?, ?, ?)`, in.Area, in.Name, in.EarnsIncentive).Error
			detail += fmt.Sprintf("; earns_incentive=%t", in.EarnsIncentive)
		case RefProduct:
			g := AreaGranularity(in.Area)
			err = tx.Exec(`INSERT INTO products (solution_area, name, granularity) VALUES (?, ?, ?)`, in.Area, in.Name, g).Error
			detail += "; granularity=" + g
		}
		if errors.Is(translate(err), ErrDuplicate) {
			return FieldErrors{kind + "_name": "admin.err.name_taken"}
		}
		if err != nil {
			return err
		}
		if id, err = lastID(tx); err != nil {
			return err
		}
		return s.audit(tx, a, "refdata.add", fmt.Sprintf("%s:%d", kind, id), detail)
	})
	return id, err
}

// SetRefDataRetired retires a program, activity or product (it can no longer
// be chosen for new claims; claims holding it keep it) or reinstates it.
func (s *Store) SetRefDataRetired(ctx context.Context, a Actor, kind string, id int64, retired bool) error {
	table, ok := refTables[kind]
	if !ok {
		return ErrNotFound
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		var row struct {
			Name    string
			Retired bool
		}
		if err := tx.Raw(`SELECT name, retired FROM `+table+` WHERE id = ?`, id).Scan(&row).Error; err != nil {
			return err
		}
		if row.Name == "" {
			return ErrNotFound
		}
		if row.Retired == retired {
			return nil
		}
		if err := tx.Exec(`UPDATE `+table+` SET retired = ? WHERE id = ?`, retired, id).Error; err != nil {
			return err
		}
		kindName := "refdata.reinstate"
		if retired {
			kindName = "refdata.retire"
		}
		return s.audit(tx, a, kindName, fmt.Sprintf("%s:%d", kind, id), row.Name)
	})
}
