package models

import (
	"gorm.io/gorm"
)

// Solution areas group programs, activities and products.
const (
	AreaM365    = "m365"
	AreaBizApps = "bizapps"
)

// Granularity says what a claim line's key is made of.
const (
	PerWorkload     = "workload"     // key: tenant + workload
	PerSubscription = "subscription" // key: tenant + subscription ID
)

// Program is an incentive program.
type Program struct {
	ID           int64
	Name         string
	SolutionArea string
	Retired      bool
}

// Granularity is the key kind of the program's lines.
func (p Program) Granularity() string {
	if p.SolutionArea == AreaM365 {
		return PerWorkload
	}
	return PerSubscription
}

// Activity is what the partner did for the customer.
type Activity struct {
	ID             int64
	SolutionArea   string
	Name           string
	EarnsIncentive bool
	Retired        bool
}

// Product is a workload (Microsoft 365) or a product (Business Applications).
type Product struct {
	ID           int64
	SolutionArea string
	Name         string
	Granularity  string
	Retired      bool
}

// RefData is the whole reference data set; it is small and read often.
type RefData struct {
	Programs   []Program
	Activities []Activity
	Products   []Product
}

// Program returns the program with the ID, if any.
func (r *RefData) Program(id int64) (Program, bool) {
	for _, p := range r.Programs {
		if p.ID == id {
			return p, true
		}
	}
	return Program{}, false
}

// Activity returns the activity with the ID, if any.
func (r *RefData) Activity(id int64) (Activity, bool) {
	for _, a := range r.Activities {
		if a.ID == id {
			return a, true
		}
	}
	return Activity{}, false
}

// Product returns the product with the ID, if any.
func (r *RefData) Product(id int64) (Product, bool) {
	for _, p := range r.Products {
		if p.ID == id {
			return p, true
		}
	}
	return Product{}, false
}

// ProductByName finds a product of a solution area by name, case-insensitively.
func (r *RefData) ProductByName(area, name string) (Product, bool) {
	for _, p := range r.Products {
		if p.SolutionArea == area && equalFold(p.Name, name) {
			return p, true
		}
	}
	return Product{}, false
}

// ActivitiesOf returns the activities of a solution area that are not retired.
func (r *RefData) ActivitiesOf(area string) []Activity {
	var out []Activity
	for _, a := range r.Activities {
		if a.SolutionArea == area && !a.Retired {
			out = append(out, a)
		}
	}
	return out
}

// ProductsOf returns the products of a solution area that are not retired.
func (r *RefData) ProductsOf(area string) []Product {
	var out []Product
	for _, p := range r.Products {
		if p.SolutionArea == area && !p.Retired {
			out = append(out, p)
		}
	}
	return out
}

// refData loads the reference data from the database.
func (s *Store) refData(db *gorm.DB) (*RefData, error) {
	var r RefData
	if err := db.Raw(`SELECT id, name, solution_area, retired FROM programs ORDER BY id`).Scan(&r.Programs).Error; err != nil {
		return nil, err
	}
	if err := db.Raw(`SELECT id, solution_area, name, earns_incentive, retired FROM activities ORDER BY solution_area, id`).Scan(&r.Activities).Error; err != nil {
		return nil, err
	}
	if err := db.Raw(`SELECT id, solution_area, name, granularity, retired FROM products ORDER BY solution_area, id`).Scan(&r.Products).Error; err != nil {
		return nil, err
	}
	return &r, nil
}
